//! certdesk over HTTP. Handlers are thin: parse the request, call one `app`
//! function, render. Pages are server-rendered askama templates (zh-CN first,
//! English switchable); the JSON API lives under `/api/v1` and is described by
//! `/api/v1/openapi.json`.

mod api;
mod ca;
mod csrf;
mod error;
mod i18n;
mod interconnect;
mod pages;
mod paynotify;
mod visitor;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use api::ApiDoc;
pub use i18n::{CATALOG, Catalog, Lang};

/// The largest request body accepted anywhere: a form with several 10 MB documents.
pub const MAX_BODY: usize = 48 * 1024 * 1024;

/// Settings the web layer needs beyond the app.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure`: set when certdesk is served over https.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub(crate) app: app::App,
    pub(crate) config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(app: app::App, config: WebConfig) -> AppState {
        AppState {
            app,
            config: Arc::new(config),
        }
    }
}

pub fn router(state: AppState) -> Router {
    // Pages and the API know who is asking (the session, read once per request).
    let visited = Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            visitor::load,
        ));
    // The CA's public routes do not: OCSP must not pay a session read per request.
    Router::new()
        .merge(ca::routes())
        // Linked platforms authenticate with their API key, not a session.
        .merge(interconnect::routes())
        // Payment providers sign their notifications; they have no session.
        .merge(paynotify::routes())
        .merge(visited)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Bodies are read through extractors capped at 1 MB (`DefaultBodyLimit`); the
        // routes that take uploads raise their own cap, up to this hard ceiling.
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found(visitor: visitor::Visitor) -> error::PageError {
    error::PageError::not_found(visitor.lang)
}

async fn healthz() -> &'static str {
    "ok"
}
