//! 制证 on the order page: the operator (or, online, the applicant) pastes the CSR made on
//! the key and the 锁序列号, or has a soft certificate generated (handed over at once as a
//! PKCS#12 file, never kept); then 发货 with carrier and tracking number, 领取 with the
//! applicant's 领取码, or 确认收货. A mistake re-renders the order page with the message
//! next to the field and everything typed kept (the PKCS#12 password excepted).

use app::applications::{self, ApplicationView, HandOverInput, ProduceInput, ShipInput};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::ApplicationId;
use serde::Deserialize;

use super::orders::{back, parse_id, refused_on_page, show_page};
use super::{Errors, Page, SignedIn, app_error, local_date, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::message;

/// The production and delivery forms of the order page, as typed. No `Debug`: it holds
/// the PKCS#12 password.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductionForm {
    pub csr: String,
    pub token_serial: String,
    pub generate: String,
    /// Never shown again.
    pub pkcs12_password: String,
    pub carrier: String,
    pub tracking_number: String,
    pub pickup_code: String,
    pub version: Option<i64>,
}

/// A certificate of the order, as the page lists it.
pub struct CertificateRow {
    pub serial: String,
    pub subject: String,
    pub token_serial: String,
    pub valid_from: String,
    pub valid_to: String,
    pub status: String,
}

pub fn certificate_rows(page: &Page, order: &ApplicationView) -> Vec<CertificateRow> {
    order
        .certificates
        .iter()
        .map(|c| CertificateRow {
            serial: c.serial.clone(),
            subject: c.subject.clone(),
            token_serial: c.token_serial.clone().unwrap_or_default(),
            valid_from: local_date(c.not_before),
            valid_to: local_date(c.not_after),
            status: page.label("produced_status", &c.status),
        })
        .collect()
}

/// The order page again, with `form` kept and `e` shown where it belongs.
async fn again(
    state: &AppState,
    signed_in: &SignedIn,
    id: ApplicationId,
    form: ProductionForm,
    e: app::Error,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    if !matches!(e, app::Error::Invalid(_) | app::Error::Refused(_)) {
        return app_error(visitor, &e);
    }
    match applications::view(&state.app, actor, id).await {
        Ok(order) => {
            let mut show = show_page(Page::new(visitor, "order.title"), order);
            let version = show.production.version;
            show.production = ProductionForm {
                version,
                pkcs12_password: String::new(),
                ..form
            };
            match &e {
                app::Error::Invalid(fields) => {
                    show.production_errors = Errors::new(visitor.lang, fields);
                }
                _ => show.production_problem = Some(message(visitor.lang, &e)),
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &show)
        }
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn produce(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ProductionForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let input = ProduceInput {
        csr: form.csr.clone(),
        generate: form.generate.clone(),
        pkcs12_password: form.pkcs12_password.clone(),
        token_serial: form.token_serial.clone(),
        version: form.version,
    };
    match applications::produce(&state.app, &signed_in.actor, id, &input).await {
        // A generated key is handed over now or never: the answer is the file.
        Ok(made) => match (made.pkcs12, made.certificate) {
            (Some(p12), Some(cert)) => {
                let mut r = p12.to_vec().into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-pkcs12"),
                );
                h.insert(
                    header::CONTENT_DISPOSITION,
                    super::orders::disposition("attachment", &format!("{}.p12", cert.serial)),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            _ => back(id, "notice.produced"),
        },
        Err(e) => again(&state, &signed_in, id, form, e).await,
    }
}

pub async fn ship(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ProductionForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let input = ShipInput {
        carrier: form.carrier.clone(),
        tracking_number: form.tracking_number.clone(),
        version: form.version,
    };
    match applications::ship(&state.app, &signed_in.actor, id, &input).await {
        Ok(()) => back(id, "notice.shipped"),
        Err(e) => again(&state, &signed_in, id, form, e).await,
    }
}

pub async fn hand_over(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ProductionForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let input = HandOverInput {
        pickup_code: form.pickup_code.clone(),
        version: form.version,
    };
    match applications::hand_over(&state.app, &signed_in.actor, id, &input).await {
        Ok(()) => back(id, "notice.handed_over"),
        Err(e) => again(&state, &signed_in, id, form, e).await,
    }
}

pub async fn confirm_receipt(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ProductionForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match applications::confirm_receipt(&state.app, &signed_in.actor, id, form.version).await {
        Ok(()) => back(id, "notice.received"),
        Err(e) => refused_on_page(&state, &signed_in, id, &e).await,
    }
}
