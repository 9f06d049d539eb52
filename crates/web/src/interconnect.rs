//! 互联互通: `GET /api/v1/interconnect/certificates/{serial}` for linked platforms, with
//! the platform's API key in `Authorization: Bearer …` or `X-Api-Key`. Mounted outside the
//! visitor middleware: a platform has no session, and its key must never be taken for a
//! session token. The key is neither logged nor echoed.

use app::interconnect::{self, CertificateLookup};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ApiErrorDetail};
use crate::i18n::{CATALOG, Lang};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/interconnect/certificates/{serial}",
        get(certificate),
    )
}

/// The key a platform presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`.
fn presented_key(headers: &HeaderMap) -> String {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .unwrap_or("")
        .trim()
        .to_owned()
}

fn lang(headers: &HeaderMap) -> Lang {
    match headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.trim_start().starts_with("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// 401 in the usual envelope, saying that the key (not a sign-in) is what is missing.
fn key_refused(lang: Lang) -> Response {
    let body = ApiErrorBody {
        error: ApiErrorDetail {
            key: "interconnect.key_invalid".into(),
            message: CATALOG.tr(lang).get("interconnect.key_invalid").to_owned(),
            fields: Vec::new(),
            retry_after_secs: None,
        },
    };
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"interconnect\""),
        )],
        Json(body),
    )
        .into_response()
}

/// 证书状态查询 (互联互通): a linked platform looks up a certificate of this CA by serial:
/// status (valid, revoked with time and reason, expired), holder, organisation and USCC,
/// type, validity and issuer. Authenticated by the platform's API key (made by an admin
/// on the platform's page), as `Authorization: Bearer <key>` or `X-Api-Key: <key>`; no
/// session. Any certificate of this CA may be looked up, as through OCSP.
#[utoipa::path(get, path = "/api/v1/interconnect/certificates/{serial}", tag = "interconnect",
    params(("serial" = String, Path, description = "The serial number, hexadecimal (as OpenSSL prints it)")),
    security(("platform_key" = []), ("platform_key_header" = [])),
    responses((status = 200, body = CertificateLookup),
        (status = 401, body = ApiErrorBody, description = "No key, a wrong or revoked key, or an inactive platform"),
        (status = 404, body = ApiErrorBody, description = "No certificate of this CA has this serial"),
        (status = 422, body = ApiErrorBody, description = "The serial is not hexadecimal")))]
pub async fn certificate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Response {
    let lang = lang(&headers);
    let key = presented_key(&headers);
    match interconnect::look_up(&state.app, &key, &serial).await {
        Ok(found) => Json(found).into_response(),
        Err(app::Error::Unauthenticated) => key_refused(lang),
        Err(e) => ApiError::new(lang, e).into_response(),
    }
}
