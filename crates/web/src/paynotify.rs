//! `POST /pay/notify/{provider}`: the payment providers' notifications. Outside the
//! session middleware and CSRF (the provider is no browser); the provider's signature,
//! checked in `app::payments::notify`, is what is trusted. The answer is the one the
//! provider's protocol expects.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::AppState;

/// Notifications are a few kilobytes; anything larger is not one.
const MAX_NOTIFICATION: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay/notify/{provider}", post(notify))
        .layer(DefaultBodyLimit::max(MAX_NOTIFICATION))
}

async fn notify(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match app::payments::notify::notify(&state.app, &provider, &headers, &body).await {
        Some(ack) => {
            let status = StatusCode::from_u16(ack.status).unwrap_or(StatusCode::BAD_REQUEST);
            let content_type = HeaderValue::from_static(ack.content_type);
            (status, [(header::CONTENT_TYPE, content_type)], ack.body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
