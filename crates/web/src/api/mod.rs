//! The JSON API under `/api/v1`: the same `app` functions as the pages.
//!
//! Authentication: `POST /api/v1/sessions` returns a token to send as
//! `Authorization: Bearer <token>`. Calls made with the browser's session cookie
//! instead must send the session's CSRF token in `X-CSRF-Token` on every
//! state-changing request. Errors use one envelope ([`crate::error::ApiErrorBody`]).

mod accounts;
mod admin;
mod admin_config;
mod applications;
mod certificates;
mod finance;
mod invoices;
mod keys;
mod notifications;
mod organisations;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;
use crate::csrf::tokens_match;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::visitor::Visitor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/finance/payments", get(finance::payments))
        .route("/finance/refunds", get(finance::refunds))
        .route("/finance/refunds/{id}/retry", post(finance::retry_refund))
        .route("/finance/alerts", get(finance::alerts))
        .route("/finance/alerts/{id}/resolve", post(finance::resolve_alert))
        .route("/finance/statement", get(finance::statement))
        .route(
            "/accounts/organisation",
            post(accounts::register_organisation),
        )
        .route("/accounts/individual", post(accounts::register_individual))
        .route("/sessions", post(accounts::sign_in))
        .route("/sessions/current", delete(accounts::sign_out))
        .route("/me", get(accounts::me))
        .route("/me/password", put(accounts::change_password))
        .route("/me/tokens", get(keys::tokens).post(keys::create_token))
        .route("/me/tokens/{id}", delete(keys::revoke_token))
        .route("/me/bindings", get(keys::bindings))
        .route("/me/bindings/challenge", post(keys::start_binding))
        .route("/me/bindings/{id}", delete(keys::unbind))
        .route("/auth/certificate/challenges", post(keys::start_login))
        .route("/auth/certificate/challenges/{code}", get(keys::challenge))
        .route(
            "/auth/certificate/challenges/{code}/signature",
            post(keys::sign),
        )
        .route("/auth/certificate/session", post(keys::session))
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
        .route(
            "/applications",
            get(applications::list).post(applications::start),
        )
        .route("/applications/export.csv", get(applications::export_csv))
        .route(
            "/applications/{id}",
            get(applications::show).put(applications::save),
        )
        .route("/applications/{id}/submit", post(applications::submit))
        .route("/applications/{id}/withdraw", post(applications::withdraw))
        .route(
            "/applications/{id}/key-readout",
            post(applications::key_readout),
        )
        .route(
            "/applications/{id}/documents/{document}",
            put(applications::upload)
                .get(applications::download)
                .layer(DefaultBodyLimit::max(applications::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/applications/{id}/templates/{template}",
            get(applications::template),
        )
        .route("/applications/{id}/payment", post(applications::pay))
        .route(
            "/applications/{id}/payment/refresh",
            post(applications::refresh),
        )
        .route("/applications/{id}/review", post(applications::review))
        .route("/applications/{id}/production", post(applications::produce))
        .route("/applications/{id}/shipment", post(applications::ship))
        .route("/applications/{id}/handover", post(applications::hand_over))
        .route(
            "/applications/{id}/receipt",
            post(applications::confirm_receipt),
        )
        .route("/queue", get(applications::queue))
        .route(
            "/admin/settings",
            get(admin_config::settings).put(admin_config::update_settings),
        )
        .route(
            "/admin/settings/{name}",
            delete(admin_config::reset_setting),
        )
        .route("/admin/fees", get(admin_config::fees))
        .route(
            "/admin/fees/{kind}/{cert_type}/{channel}",
            put(admin_config::set_price).delete(admin_config::reset_price),
        )
        .route("/admin/procedures", get(admin_config::procedures))
        .route(
            "/admin/procedures/{kind}/{channel}",
            get(admin_config::procedure)
                .put(admin_config::set_procedure)
                .delete(admin_config::reset_procedure),
        )
        .route("/admin/documents", get(admin_config::document_sets))
        .route(
            "/admin/documents/{kind}/{cert_type}",
            get(admin_config::document_set)
                .put(admin_config::set_documents)
                .delete(admin_config::reset_documents),
        )
        .route(
            "/admin/service-points",
            get(admin_config::service_points).post(admin_config::create_service_point),
        )
        .route(
            "/admin/service-points/{id}",
            get(admin_config::service_point).put(admin_config::update_service_point),
        )
        .route(
            "/admin/service-points/{id}/deactivate",
            post(admin_config::deactivate_service_point),
        )
        .route(
            "/admin/platforms",
            get(admin_config::platforms).post(admin_config::create_platform),
        )
        .route(
            "/admin/platforms/{id}",
            get(admin_config::platform).put(admin_config::update_platform),
        )
        .route("/admin/holidays", get(admin_config::holidays))
        .route(
            "/admin/holidays/{date}",
            put(admin_config::set_day).delete(admin_config::delete_day),
        )
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/admin/outbox", get(notifications::outbox))
        .route("/certificates", get(certificates::list))
        .route("/certificates/{serial}", get(certificates::show))
        .route(
            "/certificates/{serial}/download/{format}",
            get(certificates::download),
        )
        .route("/certificates/{serial}/platforms", post(certificates::link))
        .route(
            "/certificates/{serial}/platforms/{platform}",
            delete(certificates::unlink),
        )
        .route("/admin/certificates", get(certificates::search))
        .route("/admin/ca/profiles", get(certificates::profiles))
        .route(
            "/admin/platforms/{id}/key",
            get(admin_config::platform_key)
                .post(admin_config::generate_platform_key)
                .delete(admin_config::revoke_platform_key),
        )
        .route(
            "/applications/{id}/invoice",
            get(invoices::order_invoice).put(invoices::request),
        )
        .route("/invoices", get(invoices::list))
        .route("/invoices/{id}/pdf", get(invoices::pdf))
        .route("/finance/invoices", get(invoices::queue))
        .route("/finance/invoices/{id}", get(invoices::show))
        .route(
            "/finance/invoices/{id}/issue",
            post(invoices::issue).layer(DefaultBodyLimit::max(invoices::ISSUE_BODY_LIMIT)),
        )
        .route("/finance/invoices/{id}/shipment", post(invoices::ship))
        .route("/finance/invoices/{id}/collection", post(invoices::collect))
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
    info(title = "certdesk API", description = "CA certificate service desk: accounts, organisations, people, applications."),
    paths(
        finance::payments,
        finance::refunds,
        finance::retry_refund,
        finance::alerts,
        finance::resolve_alert,
        finance::statement,
        accounts::register_organisation,
        accounts::register_individual,
        accounts::sign_in,
        accounts::sign_out,
        accounts::me,
        accounts::change_password,
        accounts::dashboard,
        keys::tokens,
        keys::create_token,
        keys::revoke_token,
        keys::bindings,
        keys::start_binding,
        keys::unbind,
        keys::start_login,
        keys::challenge,
        keys::sign,
        keys::session,
        organisations::search,
        organisations::show,
        organisations::update,
        organisations::members,
        organisations::add_member,
        organisations::remove_member,
        admin::list,
        admin::create,
        applications::start,
        applications::list,
        applications::show,
        applications::save,
        applications::submit,
        applications::withdraw,
        applications::key_readout,
        applications::upload,
        applications::download,
        applications::template,
        applications::pay,
        applications::refresh,
        applications::queue,
        applications::review,
        applications::produce,
        applications::ship,
        applications::hand_over,
        applications::confirm_receipt,
        applications::export_csv,
        admin_config::settings,
        admin_config::update_settings,
        admin_config::reset_setting,
        admin_config::fees,
        admin_config::set_price,
        admin_config::reset_price,
        admin_config::procedures,
        admin_config::procedure,
        admin_config::set_procedure,
        admin_config::reset_procedure,
        admin_config::document_sets,
        admin_config::document_set,
        admin_config::set_documents,
        admin_config::reset_documents,
        admin_config::service_points,
        admin_config::service_point,
        admin_config::create_service_point,
        admin_config::update_service_point,
        admin_config::deactivate_service_point,
        admin_config::platforms,
        admin_config::platform,
        admin_config::create_platform,
        admin_config::update_platform,
        admin_config::holidays,
        admin_config::set_day,
        admin_config::delete_day,
        notifications::list,
        notifications::mark_all_read,
        notifications::outbox,
        certificates::list,
        certificates::show,
        certificates::download,
        certificates::link,
        certificates::unlink,
        certificates::search,
        certificates::profiles,
        admin_config::platform_key,
        admin_config::generate_platform_key,
        admin_config::revoke_platform_key,
        crate::interconnect::certificate,
        invoices::order_invoice,
        invoices::request,
        invoices::list,
        invoices::pdf,
        invoices::queue,
        invoices::show,
        invoices::issue,
        invoices::ship,
        invoices::collect,
    ),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "organisations"), (name = "admin"),
        (name = "applications", description = "新增申请 to payment: the applicant's orders"),
        (name = "staff", description = "代办事宜, 初审 / 终审, 导出申领信息"),
        (name = "production", description = "制证 (operators, or applicants online with their own key), 发货, 领取, 确认收货"),
        (name = "notifications"),
        (name = "certificates", description = "证书管理: certificates, their files and 关联平台"),
        (name = "finance", description = "The finance desk: payments, refunds, alerts, the daily statement"),
        (name = "interconnect", description = "互联互通: linked platforms look up certificates with their API key"),
        (name = "invoices", description = "开票信息, 发票管理 and finance's invoice desk"))
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
        // A linked platform's API key (互联互通), in either header.
        components.add_security_scheme(
            "platform_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "platform_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
