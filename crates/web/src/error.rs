//! Errors mapped once, at the edge: an `app::Error` becomes a status, a stable key
//! and a message from the catalogue. Internal causes are logged, never shown.

use app::{Error, FieldErrors};
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::i18n::{CATALOG, Lang};

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Unauthenticated | Error::BadCredentials => StatusCode::UNAUTHORIZED,
        Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::PasswordChangeRequired | Error::Forbidden => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Refused(_) => StatusCode::CONFLICT,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The sentence for an error, in `lang`.
pub fn message(lang: Lang, e: &Error) -> String {
    let t = CATALOG.tr(lang);
    match e {
        Error::Throttled { retry_after_secs } => t
            .get("error.throttled")
            .replace("{minutes}", &((retry_after_secs + 59) / 60).to_string()),
        _ => t.get(e.key()).to_owned(),
    }
}

/// A failed page request, rendered as an error page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: crate::pages::Page,
    status: u16,
    message: String,
}

impl PageError {
    pub fn from_app(lang: Lang, e: &Error) -> PageError {
        if let Error::Internal(cause) = e {
            tracing::error!(%cause, "internal error");
        }
        PageError {
            status: status_of(e),
            lang,
            message: message(lang, e),
        }
    }

    pub fn internal(cause: &str) -> PageError {
        tracing::error!(%cause, "internal error");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            lang: Lang::Zh,
            message: CATALOG.tr(Lang::Zh).get("error.internal").to_owned(),
        }
    }

    pub fn bad_request(lang: Lang) -> PageError {
        PageError {
            status: StatusCode::BAD_REQUEST,
            lang,
            message: CATALOG.tr(lang).get("error.bad_request").to_owned(),
        }
    }

    pub fn csrf(lang: Lang) -> PageError {
        PageError {
            status: StatusCode::FORBIDDEN,
            lang,
            message: CATALOG.tr(lang).get("error.csrf").to_owned(),
        }
    }

    pub fn not_found(lang: Lang) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            lang,
            message: CATALOG.tr(lang).get("error.not_found").to_owned(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            page: crate::pages::Page::bare(self.lang, "error.title"),
            status: self.status.as_u16(),
            message: self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page did not render");
                (self.status, "error").into_response()
            }
        }
    }
}

pub fn internal_response(_state: &AppState, lang: Lang, cause: &str) -> Response {
    let mut e = PageError::internal(cause);
    e.lang = lang;
    e.into_response()
}

/// The JSON error envelope: `{"error": {"key", "message", "fields": [...]}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// Stable key, e.g. `error.invalid`, `error.forbidden`.
    pub key: String,
    /// Human-readable, in the requested language (zh-CN by default).
    pub message: String,
    /// Per-field problems for `error.invalid`.
    pub fields: Vec<ApiFieldError>,
    /// Seconds to wait, for `error.throttled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub key: String,
    pub message: String,
}

pub struct ApiError {
    lang: Lang,
    error: Error,
}

impl ApiError {
    pub fn new(lang: Lang, error: Error) -> ApiError {
        ApiError { lang, error }
    }
}

pub fn field_list(lang: Lang, errors: &FieldErrors) -> Vec<ApiFieldError> {
    let t = CATALOG.tr(lang);
    errors
        .iter()
        .map(|e| ApiFieldError {
            field: e.field.to_owned(),
            key: e.key.to_owned(),
            message: t.get(e.key).to_owned(),
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self.error {
            tracing::error!(%cause, "internal error");
        }
        let fields = match &self.error {
            Error::Invalid(errors) => field_list(self.lang, errors),
            _ => Vec::new(),
        };
        let retry_after_secs = match &self.error {
            Error::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                key: self.error.key().to_owned(),
                message: message(self.lang, &self.error),
                fields,
                retry_after_secs,
            },
        };
        (status_of(&self.error), Json(body)).into_response()
    }
}
