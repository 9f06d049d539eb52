//! The JSON API under `/api/v1`: the same `app` functions as the pages.
//!
//! Authentication: `POST /api/v1/sessions` returns a token to send as
//! `Authorization: Bearer <token>`. Calls made with the browser's session cookie
//! instead must send the session's CSRF token in `X-CSRF-Token` on every
//! state-changing request. Errors use one envelope ([`crate::error::ApiErrorBody`]).

mod accounts;
mod admin;
mod notifications;
mod organisations;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;
use crate::csrf::tokens_match;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::visitor::Visitor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route(
            "/accounts/organisation",
            post(accounts::register_organisation),
        )
        .route("/accounts/individual", post(accounts::register_individual))
        .route("/sessions", post(accounts::sign_in))
        .route("/sessions/current", delete(accounts::sign_out))
        .route("/me", get(accounts::me))
        .route("/me/password", put(accounts::change_password))
        .route("/dashboard", get(accounts::dashboard))
        .route("/organisations", get(organisations::search))
        .route(
            "/organisations/{id}",
            get(organisations::show).put(organisations::update),
        )
        .route(
            "/organisations/{id}/members",
            get(organisations::members).post(organisations::add_member),
        )
        .route(
            "/organisations/{id}/members/{user_id}",
            delete(organisations::remove_member),
        )
        .route("/admin/users", get(admin::list).post(admin::create))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/admin/outbox", get(notifications::outbox))
        .layer(axum::middleware::from_fn(csrf_guard))
}

/// The language of API messages: `Accept-Language: en…` gives English, else the visitor's.
fn lang(headers: &HeaderMap, visitor: &Visitor) -> Lang {
    match headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.trim_start().starts_with("en") => Lang::En,
        Some(v) if v.trim_start().starts_with("zh") => Lang::Zh,
        _ => visitor.lang,
    }
}

/// Cookie-authenticated calls that change state must carry `X-CSRF-Token`.
async fn csrf_guard(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if let Some(visitor) = request.extensions().get::<Visitor>()
        && let Some(session) = &visitor.session
        && !safe
        && !visitor.bearer
    {
        let given = request
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !tokens_match(given, &session.csrf_token) {
            let l = lang(request.headers(), visitor);
            return ApiError::new(l, app::Error::Forbidden).into_response();
        }
    }
    next.run(request).await
}

/// What every API handler gets: the visitor and the language to answer in.
pub struct Api {
    pub visitor: Visitor,
    pub lang: Lang,
}

impl Api {
    pub fn actor(&self) -> Result<&app::Actor, ApiError> {
        self.visitor
            .actor()
            .ok_or_else(|| ApiError::new(self.lang, app::Error::Unauthenticated))
    }

    pub fn fail(&self, e: app::Error) -> ApiError {
        ApiError::new(self.lang, e)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let visitor = parts.extensions.get::<Visitor>().cloned().ok_or_else(|| {
            ApiError::new(Lang::Zh, app::Error::Internal("visitor missing".into()))
        })?;
        let lang = lang(&parts.headers, &visitor);
        Ok(Api { visitor, lang })
    }
}

/// A JSON body, with a malformed one answered in the error envelope.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = req
            .extensions()
            .get::<Visitor>()
            .map_or(Lang::Zh, |v| lang(req.headers(), v));
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => {
                tracing::debug!(%rejection, "bad JSON body");
                let mut r =
                    ApiError::new(lang, app::Error::Refused("error.bad_request")).into_response();
                *r.status_mut() = rejection.status();
                Err(r)
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "certdesk API", description = "CA certificate service desk: accounts, organisations, people."),
    paths(
        accounts::register_organisation,
        accounts::register_individual,
        accounts::sign_in,
        accounts::sign_out,
        accounts::me,
        accounts::change_password,
        accounts::dashboard,
        organisations::search,
        organisations::show,
        organisations::update,
        organisations::members,
        organisations::add_member,
        organisations::remove_member,
        admin::list,
        admin::create,
        notifications::list,
        notifications::mark_all_read,
        notifications::outbox,
    ),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "organisations"), (name = "admin"), (name = "notifications"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
