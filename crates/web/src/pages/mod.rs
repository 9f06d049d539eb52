//! Server-rendered pages. Every page shares the layout in `templates/base.html`,
//! which gets a [`Page`]: the language, the navigation for the visitor's role,
//! the CSRF token for forms, and a notice to show.

mod account;
mod admin;
mod admin_config;
mod certificates;
mod dashboard;
mod finance;
mod home;
mod invoices;
mod keys;
mod notifications;
mod orders;
mod organisation;
mod production;
mod queue;
mod register;
mod signin;

use std::collections::HashMap;

use app::{Actor, FieldErrors};
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::account::Role;

pub use certificates::file_response as certificate_file;
pub use invoices::pdf_response as invoice_pdf;

use crate::AppState;
use crate::error::PageError;
use crate::i18n::{CATALOG, Lang};
use crate::visitor::Visitor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/finance/payments", get(finance::payments))
        .route("/finance/refunds", get(finance::refunds))
        .route("/finance/refunds/{id}/retry", post(finance::retry_refund))
        .route("/finance/alerts", get(finance::alerts))
        .route("/finance/alerts/{id}/resolve", post(finance::resolve_alert))
        .route("/finance/statement.csv", get(finance::statement))
        .route("/", get(home::show))
        .route("/static/style.css", get(home::stylesheet))
        .route("/lang/{code}", get(home::switch_language))
        .route("/signin", get(signin::form).post(signin::submit))
        .route(
            "/signin/certificate",
            get(keys::certificate_form).post(keys::certificate_submit),
        )
        .route(
            "/account/tokens",
            get(keys::tokens).post(keys::create_token),
        )
        .route("/account/tokens/{id}/revoke", post(keys::revoke_token))
        .route("/account/certificates", get(keys::bindings))
        .route("/account/certificates/bind", post(keys::start_binding))
        .route("/account/certificates/{id}/unbind", post(keys::unbind))
        .route("/signout", post(signin::sign_out))
        .route(
            "/register",
            get(register::organisation_form).post(register::organisation_submit),
        )
        .route(
            "/register/individual",
            get(register::individual_form).post(register::individual_submit),
        )
        .route("/dashboard", get(dashboard::show))
        .route("/organisation", get(organisation::show))
        .route(
            "/organisation/edit",
            get(organisation::edit_form).post(organisation::edit_submit),
        )
        .route(
            "/organisation/members",
            get(organisation::members).post(organisation::add_member),
        )
        .route(
            "/organisation/members/{user_id}/remove",
            post(organisation::remove_member),
        )
        .route("/organisations", get(organisation::search))
        .route(
            "/account/password",
            get(account::password_form).post(account::password_submit),
        )
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/orders", get(orders::list))
        .route(
            "/orders/new",
            get(orders::start_form).post(orders::start_submit),
        )
        .route("/orders/{id}", get(orders::show))
        .route(
            "/orders/{id}/edit",
            get(orders::edit_form)
                .post(orders::edit_submit)
                .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY)),
        )
        .route("/orders/{id}/status", get(orders::status))
        .route("/orders/{id}/withdraw", post(orders::withdraw))
        .route("/orders/{id}/pay", post(orders::pay))
        .route(
            "/orders/{id}/payment/refresh",
            post(orders::refresh_payment),
        )
        .route("/orders/{id}/review", post(orders::review))
        .route("/orders/{id}/produce", post(production::produce))
        .route("/orders/{id}/ship", post(production::ship))
        .route("/orders/{id}/handover", post(production::hand_over))
        .route("/orders/{id}/receipt", post(production::confirm_receipt))
        .route("/orders/{id}/documents/{doc}", get(orders::document))
        .route("/orders/{id}/templates/{name}", get(orders::template))
        .route("/queue", get(queue::queue))
        .route("/queue/export.csv", get(queue::export))
        .route(
            "/sandbox/pay/{trade}",
            get(queue::cashier).post(queue::cashier_confirm),
        )
        .merge(admin_config::routes())
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
            "/certificates/{serial}/platforms/{platform}/unlink",
            post(certificates::unlink),
        )
        .route("/admin/certificates", get(certificates::search))
        .route("/admin/ca/profiles", get(certificates::profiles))
        .route(
            "/orders/{id}/invoice",
            get(invoices::order_show).post(invoices::order_submit),
        )
        .route("/invoices", get(invoices::list))
        .route("/invoices/{id}/pdf", get(invoices::pdf))
        .route("/finance/invoices", get(invoices::finance_list))
        .route("/finance/invoices/{id}", get(invoices::finance_show))
        .route(
            "/finance/invoices/{id}/issue",
            post(invoices::finance_issue).layer(axum::extract::DefaultBodyLimit::max(
                app::invoices::MAX_PDF + 64 * 1024,
            )),
        )
        .route("/finance/invoices/{id}/ship", post(invoices::finance_ship))
        .route(
            "/finance/invoices/{id}/collect",
            post(invoices::finance_collect),
        )
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// What the layout needs on every page.
pub struct Page {
    pub lang: Lang,
    pub title: &'static str,
    pub nav: Vec<NavItem>,
    pub user_name: Option<String>,
    pub role_key: Option<&'static str>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    /// Unread notifications, shown in the header for signed-in people.
    pub unread: Option<u64>,
}

impl Page {
    /// A page for whoever is visiting, titled by catalogue key `title`.
    pub fn new(visitor: &Visitor, title: &'static str) -> Page {
        let actor = visitor.actor();
        Page {
            lang: visitor.lang,
            title,
            nav: actor.map(nav_for).unwrap_or_default(),
            user_name: actor.map(|a| a.name.clone()),
            role_key: actor.map(role_key),
            csrf: visitor.csrf_token().to_owned(),
            notice: None,
            unread: visitor.unread,
        }
    }

    /// A page without a visitor (error pages rendered outside a handler).
    pub fn bare(lang: Lang, title: &'static str) -> Page {
        Page {
            lang,
            title,
            nav: Vec::new(),
            user_name: None,
            role_key: None,
            csrf: String::new(),
            notice: None,
            unread: None,
        }
    }

    pub fn with_notice(mut self, key: Option<&str>) -> Page {
        // Only catalogue notices are shown: a link cannot put words on the page.
        self.notice = key.and_then(|k| NOTICES.iter().copied().find(|n| *n == k));
        self
    }

    pub fn tr<'k>(&self, key: &'k str) -> &'k str {
        CATALOG.tr(self.lang).get(key)
    }

    /// The label of a value named by code: `label("status", "draft")` is 草稿.
    pub fn label(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        CATALOG.tr(self.lang).get(&key).to_owned()
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

const NOTICES: &[&str] = &[
    "notice.registered",
    "notice.signed_out",
    "notice.saved",
    "notice.password_changed",
    "notice.token_revoked",
    "notice.unbound",
    "notice.member_removed",
    "notice.change_password",
    "notice.order_saved",
    "notice.order_submitted",
    "notice.order_withdrawn",
    "notice.uploaded",
    "notice.reviewed",
    "notice.payment_pending",
    "notice.payment_done",
    "notice.notifications_read",
    "notice.platform_linked",
    "notice.platform_unlinked",
    "notice.produced",
    "notice.shipped",
    "notice.handed_over",
    "notice.received",
    "notice.platform_key_revoked",
    "notice.refund_retried",
    "notice.alert_resolved",
    "notice.invoice_saved",
    "notice.invoice_issued",
    "notice.invoice_shipped",
    "notice.invoice_collected",
];

fn role_key(actor: &Actor) -> &'static str {
    match actor.role {
        Role::Applicant if actor.is_org_admin() => "role.org_admin",
        Role::Applicant if actor.individual => "role.individual",
        Role::Applicant => "role.applicant",
        Role::Reviewer => "role.reviewer",
        Role::Operator => "role.operator",
        Role::Finance => "role.finance",
        Role::Admin => "role.admin",
    }
}

/// The navigation for each role (DESIGN.md §1).
fn nav_for(actor: &Actor) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut nav = vec![item("/dashboard", "nav.dashboard")];
    if actor.must_change_password {
        return vec![item("/account/password", "nav.password")];
    }
    match actor.role {
        Role::Applicant => {
            nav.push(item("/orders/new", "nav.new_order"));
            nav.push(item("/orders", "nav.orders"));
            nav.push(item("/certificates", "nav.certificates"));
            nav.push(item("/invoices", "nav.invoices"));
            if actor.organisation().is_some() {
                nav.push(item("/organisation", "nav.organisation"));
                nav.push(item("/organisation/members", "nav.members"));
            }
            nav.push(item("/account/certificates", "nav.bindings"));
        }
        Role::Admin => {
            nav.push(item("/queue", "nav.queue"));
            nav.push(item("/orders", "nav.orders"));
            nav.push(item("/admin/users", "nav.users"));
            nav.push(item("/admin/outbox", "nav.outbox"));
            nav.push(item("/finance/payments", "nav.finance"));
            nav.push(item("/organisations", "nav.organisations"));
            nav.push(item("/admin/certificates", "nav.certificate_search"));
            // One entry for configuration: its overview links every admin page.
            let (href, label) = admin_config::NAV[0];
            nav.push(item(href, label));
        }
        Role::Finance => {
            nav.push(item("/finance/invoices", "nav.finance_invoices"));
            nav.push(item("/finance/payments", "nav.finance"));
            nav.push(item("/queue", "nav.queue"));
            nav.push(item("/orders", "nav.orders"));
            nav.push(item("/organisations", "nav.organisations"));
            nav.push(item("/admin/certificates", "nav.certificate_search"));
        }
        Role::Reviewer | Role::Operator => {
            nav.push(item("/queue", "nav.queue"));
            nav.push(item("/orders", "nav.orders"));
            nav.push(item("/organisations", "nav.organisations"));
            nav.push(item("/admin/certificates", "nav.certificate_search"));
        }
    }
    nav.push(item("/account/tokens", "nav.tokens"));
    nav.push(item("/account/password", "nav.password"));
    nav
}

/// Field messages in the page's language, for `errors.get("field")` in templates.
#[derive(Default)]
pub struct Errors(HashMap<String, String>);

impl Errors {
    pub fn new(lang: Lang, errors: &FieldErrors) -> Errors {
        let t = CATALOG.tr(lang);
        let mut out = HashMap::new();
        for e in errors.iter() {
            out.entry(e.field.to_owned())
                .or_insert_with(|| t.get(e.key).to_owned());
        }
        Errors(out)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Renders a template as a page nobody should cache (forms may echo what was typed).
pub fn render(status: axum::http::StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => PageError::internal(&format!("template: {e}")).into_response(),
    }
}

pub fn ok(template: &impl Template) -> Response {
    render(axum::http::StatusCode::OK, template)
}

/// A page for signed-in people only: anyone else is sent to the sign-in page.
pub struct SignedIn {
    pub actor: Actor,
    pub visitor: Visitor,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.actor().cloned() {
            Some(actor) => Ok(SignedIn { actor, visitor }),
            None => Err(Redirect::to("/signin").into_response()),
        }
    }
}

/// Maps an app error on a page: a pending password change goes to the password page,
/// a lost session to sign-in, anything else to the error page.
pub fn app_error(visitor: &Visitor, e: &app::Error) -> Response {
    match e {
        app::Error::PasswordChangeRequired => {
            Redirect::to("/account/password?notice=notice.change_password").into_response()
        }
        app::Error::Unauthenticated => Redirect::to("/signin").into_response(),
        _ => PageError::from_app(visitor.lang, e).into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A timestamp as a date and time in Asia/Shanghai (times are stored in UTC).
pub fn local_date(t: jiff::Timestamp) -> String {
    match jiff::tz::TimeZone::get("Asia/Shanghai") {
        Ok(tz) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
