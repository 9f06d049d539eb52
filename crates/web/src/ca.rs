//! The CA's public face: certificates, the CRL and OCSP. No session, no CSRF, and mounted
//! outside the visitor middleware (which reads the session from the database): an OCSP
//! answer from the cache touches no database at all.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;

use crate::AppState;

/// The largest OCSP request accepted (a request about many certificates is still far smaller).
pub const MAX_OCSP_REQUEST: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ca/root.crt", get(root))
        .route("/ca/issuing.crt", get(issuing))
        .route("/ca/chain.pem", get(chain))
        .route("/crl/issuing.crl", get(crl))
        .route(
            "/ocsp",
            post(ocsp_post).layer(DefaultBodyLimit::max(MAX_OCSP_REQUEST)),
        )
        .route("/ocsp/{*request}", get(ocsp_get))
}

fn not_initialised() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("300"))],
        "CA not initialised: run `certdesk ca init` (CA 尚未初始化)\n",
    )
        .into_response()
}

fn der(content_type: &'static str, body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

async fn root(State(state): State<AppState>) -> Response {
    match state.app.ca() {
        Some(ca) => der("application/pkix-cert", ca.root_der()),
        None => not_initialised(),
    }
}

async fn issuing(State(state): State<AppState>) -> Response {
    match state.app.ca() {
        Some(ca) => der("application/pkix-cert", ca.issuing_der()),
        None => not_initialised(),
    }
}

async fn chain(State(state): State<AppState>) -> Response {
    match state.app.ca() {
        Some(ca) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pem-certificate-chain"),
            )],
            ca.chain_pem().to_owned(),
        )
            .into_response(),
        None => not_initialised(),
    }
}

async fn crl(State(state): State<AppState>) -> Response {
    let Some(ca) = state.app.ca() else {
        return not_initialised();
    };
    let crl = ca.crl();
    let mut response = der("application/pkix-crl", crl.der.clone());
    // Caches may keep it until a revocation could have happened: not long.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

const OCSP_RESPONSE: &str = "application/ocsp-response";

async fn ocsp_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let typed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("application/ocsp-request"));
    if !typed {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    answer(&state, &body, false).await
}

/// RFC 6960 appendix A.1: `GET /ocsp/{url-encoding of base64 of the DER request}`. The path
/// arrives percent-decoded; base64 may itself contain `/`.
async fn ocsp_get(State(state): State<AppState>, Path(request): Path<String>) -> Response {
    let text = request.trim_start_matches('/');
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text));
    match decoded {
        Ok(der) => answer(&state, &der, true).await,
        // Not base64: as malformed as a bad DER body.
        Err(_) => ocsp_bytes(Bytes::from_static(app::ca::ocsp::MALFORMED_REQUEST), None),
    }
}

async fn answer(state: &AppState, der: &[u8], get: bool) -> Response {
    if state.app.ca().is_none() {
        return not_initialised();
    }
    match app::ca::respond(&state.app, der).await {
        Ok(a) => ocsp_bytes(a.der, if get { a.max_age } else { None }),
        Err(e) => {
            tracing::error!(error = %e, "OCSP");
            // An OCSP client expects an OCSP answer: internalError, not a bare HTTP 500.
            ocsp_bytes(Bytes::from_static(app::ca::ocsp::INTERNAL_ERROR), None)
        }
    }
}

fn ocsp_bytes(body: Bytes, max_age: Option<u64>) -> Response {
    let mut response = der(OCSP_RESPONSE, body);
    if let Some(secs) = max_age
        && let Ok(v) = HeaderValue::from_str(&format!(
            "max-age={secs}, public, no-transform, must-revalidate"
        ))
    {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}
