//! 系统配置: the admin's pages for fees, procedures, documents, service points,
//! linked platforms, holidays and the two settings. Each handler calls one
//! `app::admin::config` function; the app decides who may (admins only).

mod documents;
mod fees;
mod holidays;
mod overview;
mod platforms;
mod procedures;
mod service_points;

use app::admin::config::Source;
use axum::Router;
use axum::routing::{get, post};
use domain::application::{CertType, Channel, DocumentKind, Kind};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/config", get(overview::show).post(overview::save))
        .route("/admin/config/reset/{name}", post(overview::reset))
        .route("/admin/fees", get(fees::show).post(fees::set))
        .route("/admin/fees/reset", post(fees::reset))
        .route("/admin/procedures", get(procedures::list))
        .route(
            "/admin/procedures/{kind}/{channel}",
            get(procedures::edit).post(procedures::save),
        )
        .route(
            "/admin/procedures/{kind}/{channel}/reset",
            post(procedures::reset),
        )
        .route("/admin/documents", get(documents::list))
        .route(
            "/admin/documents/{kind}/{cert_type}",
            get(documents::edit).post(documents::save),
        )
        .route(
            "/admin/documents/{kind}/{cert_type}/reset",
            post(documents::reset),
        )
        .route(
            "/admin/service-points",
            get(service_points::list).post(service_points::create),
        )
        .route(
            "/admin/service-points/{id}",
            get(service_points::edit).post(service_points::save),
        )
        .route(
            "/admin/platforms",
            get(platforms::list).post(platforms::create),
        )
        .route(
            "/admin/platforms/{id}",
            get(platforms::edit).post(platforms::save),
        )
        .route("/admin/platforms/{id}/key", post(platforms::generate_key))
        .route(
            "/admin/platforms/{id}/key/revoke",
            post(platforms::revoke_key),
        )
        .route("/admin/holidays", get(holidays::show).post(holidays::set))
        .route("/admin/holidays/{date}/delete", post(holidays::delete))
}

/// The admin's entries in the main navigation.
pub const NAV: &[(&str, &str)] = &[
    ("/admin/config", "config.nav.config"),
    ("/admin/fees", "config.nav.fees"),
    ("/admin/procedures", "config.nav.procedures"),
    ("/admin/documents", "config.nav.documents"),
    ("/admin/service-points", "config.nav.service_points"),
    ("/admin/platforms", "config.nav.platforms"),
    ("/admin/holidays", "config.nav.holidays"),
];

pub fn kind_key(k: Kind) -> &'static str {
    match k {
        Kind::New => "config.kind.new",
        Kind::Renew => "config.kind.renew",
        Kind::Replace => "config.kind.replace",
        Kind::Change => "config.kind.change",
        Kind::Inspect => "config.kind.inspect",
        Kind::Cancel => "config.kind.cancel",
    }
}

pub fn cert_type_key(t: CertType) -> &'static str {
    match t {
        CertType::OrgMaster => "config.cert_type.org_master",
        CertType::OrgStaff => "config.cert_type.org_staff",
        CertType::Personal => "config.cert_type.personal",
        CertType::Seal => "config.cert_type.seal",
    }
}

pub fn channel_key(c: Channel) -> &'static str {
    match c {
        Channel::Online => "config.channel.online",
        Channel::OnSite => "config.channel.onsite",
    }
}

pub fn document_key(d: DocumentKind) -> &'static str {
    match d {
        DocumentKind::HandlerId => "config.document.handler_id",
        DocumentKind::LegalRepId => "config.document.legal_rep_id",
        DocumentKind::BusinessLicence => "config.document.business_licence",
        DocumentKind::UsccCertificate => "config.document.uscc_certificate",
        DocumentKind::PowerOfAttorney => "config.document.power_of_attorney",
        DocumentKind::ApplicationForm => "config.document.application_form",
        DocumentKind::Statement => "config.document.statement",
        DocumentKind::SealImage => "config.document.seal_image",
    }
}

pub fn step_key(code: &str) -> &'static str {
    match code {
        "fill" => "config.step.fill",
        "pay" => "config.step.pay",
        "review:first" => "config.step.review_first",
        "review:first:auto" => "config.step.review_first_auto",
        "review:final" => "config.step.review_final",
        "review:final:auto" => "config.step.review_final_auto",
        "produce:operator" => "config.step.produce_operator",
        "produce:applicant" => "config.step.produce_applicant",
        "deliver" => "config.step.deliver",
        _ => "config.step.unknown",
    }
}

pub fn source_key(s: Source) -> &'static str {
    match s {
        Source::Configured => "config.source.configured",
        Source::Default => "config.source.default",
    }
}

/// `(value, catalogue key)` pairs for a select.
pub fn options<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    key: impl Fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|x| (value(*x), key(*x))).collect()
}
