//! 开票信息 (an order's invoice form), 发票管理 (the applicant's invoices and their PDFs) and
//! finance's invoice desk (`/finance/invoices`). Handlers are thin: each calls one
//! `app::invoices` function; a refused form comes back with everything typed and the
//! message next to its field.

use app::invoices::{
    self, InvoiceInput, InvoiceQuery, InvoiceSummary, InvoiceView, IssueInput, OrderInvoice,
    ShipInvoiceInput,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::ApplicationId;

use super::orders::{Plain, disposition, parse_id, yuan};
use super::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, ok, render};
use crate::AppState;
use crate::csrf::{CsrfForm, CsrfMultipart};
use crate::error::message;

/// The invoice types, in the order the form offers them.
pub const TYPES: [&str; 3] = ["e_normal", "e_special", "paper_special"];

/// One invoice in a list, in the page's words.
pub struct Row {
    pub id: String,
    pub order_number: String,
    pub invoice_type: String,
    pub buyer_name: String,
    pub tax_id: String,
    pub amount: String,
    pub status: String,
    pub status_code: String,
    pub invoice_number: String,
    pub issued_on: String,
    pub has_pdf: bool,
    pub requested_at: String,
}

fn rows(page: &Page, list: Vec<InvoiceSummary>) -> Vec<Row> {
    list.into_iter()
        .map(|s| Row {
            id: s.application_id.to_text(),
            invoice_type: page.label("invoice.type", &s.invoice_type),
            status: page.label("invoice.status", &s.status),
            status_code: s.status,
            amount: yuan(s.amount),
            invoice_number: s.invoice_number.unwrap_or_default(),
            issued_on: s.issued_on.unwrap_or_default(),
            requested_at: local_date(s.requested_at),
            order_number: s.order_number,
            buyer_name: s.buyer_name,
            tax_id: s.tax_id,
            has_pdf: s.has_pdf,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 开票信息 on an order.

#[derive(Template)]
#[template(path = "order_invoice_form.html")]
struct OrderForm {
    page: Page,
    id: String,
    section: OrderInvoice,
    form: InvoiceInput,
    errors: Errors,
    problem: Option<String>,
    amount: String,
    status: String,
    type_label: String,
    types: Vec<(&'static str, String)>,
}

fn order_form(page: Page, section: OrderInvoice) -> OrderForm {
    let types = TYPES
        .iter()
        .map(|t| (*t, page.label("invoice.type", t)))
        .collect();
    let (status, type_label) = match &section.invoice {
        Some(v) => (
            page.label("invoice.status", &v.status),
            page.label("invoice.type", &v.details.invoice_type),
        ),
        None => (String::new(), String::new()),
    };
    OrderForm {
        id: section.application_id.to_text(),
        amount: yuan(
            section
                .invoice
                .as_ref()
                .map_or(section.amount, |v| v.amount),
        ),
        form: section.form.clone(),
        errors: Errors::default(),
        problem: None,
        status,
        type_label,
        types,
        section,
        page,
    }
}

pub async fn order_show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match invoices::for_order(&state.app, actor, id).await {
        Ok(section) => ok(&order_form(
            Page::new(visitor, "invoice.title").with_notice(q.notice.as_deref()),
            section,
        )),
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn order_submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<InvoiceInput>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match invoices::request(&state.app, actor, id, &form).await {
        Ok(_) => Redirect::to(&format!(
            "/orders/{}/invoice?notice=notice.invoice_saved",
            id.to_text()
        ))
        .into_response(),
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_))) => {
            match invoices::for_order(&state.app, actor, id).await {
                Ok(section) => {
                    let mut page = order_form(Page::new(visitor, "invoice.title"), section);
                    // Everything as typed, with the version the person saw.
                    page.form = form;
                    match &e {
                        app::Error::Invalid(fields) => {
                            page.errors = Errors::new(visitor.lang, fields);
                        }
                        _ => page.problem = Some(message(visitor.lang, &e)),
                    }
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(e) => app_error(visitor, &e),
            }
        }
        Err(e) => app_error(visitor, &e),
    }
}

// ---------------------------------------------------------------------------
// 发票管理: the applicant's invoices.

#[derive(Template)]
#[template(path = "invoices.html")]
struct List {
    page: Page,
    query: InvoiceQuery,
    rows: Vec<Row>,
    action: &'static str,
    finance: bool,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "finance_invoices.html")]
struct FinanceList {
    page: Page,
    query: InvoiceQuery,
    rows: Vec<Row>,
    action: &'static str,
    finance: bool,
    errors: Errors,
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<InvoiceQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "invoices.title");
    match invoices::list_own(&state.app, actor, &query).await {
        Ok(list) => ok(&List {
            rows: rows(&page, list),
            page,
            query,
            action: "/invoices",
            finance: false,
            errors: Errors::default(),
        }),
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &List {
                errors: Errors::new(visitor.lang, &fields),
                page,
                query,
                rows: Vec::new(),
                action: "/invoices",
                finance: false,
            },
        ),
        Err(e) => app_error(visitor, &e),
    }
}

/// The issued invoice's PDF (its owner, finance).
pub async fn pdf(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match invoices::download_pdf(&state.app, actor, id).await {
        Ok(file) => pdf_response(file),
        Err(e) => app_error(visitor, &e),
    }
}

/// A PDF as an attachment nobody caches, and which runs nothing if opened inline.
pub fn pdf_response(file: invoices::InvoicePdf) -> Response {
    let mut r = file.content.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition("attachment", &file.file_name),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    r
}

// ---------------------------------------------------------------------------
// Finance's invoice desk.

pub async fn finance_list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<FinanceQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "finance_invoices.title").with_notice(q.notice.as_deref());
    let query = InvoiceQuery {
        status: q.status.unwrap_or_else(|| "pending".into()),
        q: q.q,
    };
    match invoices::queue(&state.app, actor, &query).await {
        Ok(list) => ok(&FinanceList {
            rows: rows(&page, list),
            page,
            query,
            action: "/finance/invoices",
            finance: true,
            errors: Errors::default(),
        }),
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FinanceList {
                errors: Errors::new(visitor.lang, &fields),
                page,
                query,
                rows: Vec::new(),
                action: "/finance/invoices",
                finance: true,
            },
        ),
        Err(e) => app_error(visitor, &e),
    }
}

/// Finance's filter: 待开票 unless another status is asked for (`status=` for all).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FinanceQuery {
    status: Option<String>,
    q: String,
    notice: Option<String>,
}

/// 开具 / 寄出 as typed on the finance page.
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct DeskForm {
    pub invoice_number: String,
    pub invoice_code: String,
    pub issued_on: String,
    pub carrier: String,
    pub tracking_number: String,
}

#[derive(Template)]
#[template(path = "finance_invoice.html")]
struct Desk {
    page: Page,
    id: String,
    invoice: InvoiceView,
    form: DeskForm,
    errors: Errors,
    problem: Option<String>,
    status: String,
    type_label: String,
    collection_label: String,
    amount: String,
    requested_at: String,
}

fn desk(page: Page, invoice: InvoiceView) -> Desk {
    let today = match jiff::tz::TimeZone::get("Asia/Shanghai") {
        Ok(tz) => jiff::Timestamp::now().to_zoned(tz).date().to_string(),
        Err(_) => String::new(),
    };
    Desk {
        id: invoice.application_id.to_text(),
        status: page.label("invoice.status", &invoice.status),
        type_label: page.label("invoice.type", &invoice.details.invoice_type),
        collection_label: if invoice.details.collection.is_empty() {
            String::new()
        } else {
            page.label("invoice.collection", &invoice.details.collection)
        },
        amount: yuan(invoice.amount),
        requested_at: local_date(invoice.requested_at),
        form: DeskForm {
            issued_on: today,
            ..DeskForm::default()
        },
        errors: Errors::default(),
        problem: None,
        invoice,
        page,
    }
}

pub async fn finance_show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match invoices::desk_view(&state.app, actor, id).await {
        Ok(v) => ok(&desk(
            Page::new(visitor, "finance_invoice.title").with_notice(q.notice.as_deref()),
            v,
        )),
        Err(e) => app_error(visitor, &e),
    }
}

/// After a refused desk action: the page again, with what was typed and why.
async fn desk_refused(
    state: &AppState,
    signed_in: &SignedIn,
    id: ApplicationId,
    form: DeskForm,
    e: app::Error,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    match e {
        app::Error::Invalid(_) | app::Error::Refused(_) => {
            match invoices::desk_view(&state.app, actor, id).await {
                Ok(v) => {
                    let mut page = desk(Page::new(visitor, "finance_invoice.title"), v);
                    page.form = form;
                    match &e {
                        app::Error::Invalid(fields) => {
                            page.errors = Errors::new(visitor.lang, fields);
                        }
                        _ => page.problem = Some(message(visitor.lang, &e)),
                    }
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(e) => app_error(visitor, &e),
            }
        }
        e => app_error(visitor, &e),
    }
}

fn back(id: ApplicationId, notice: &str) -> Response {
    Redirect::to(&format!(
        "/finance/invoices/{}?notice={notice}",
        id.to_text()
    ))
    .into_response()
}

/// 标记已开票: number, date and the PDF, in one multipart form.
pub async fn finance_issue(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: CsrfMultipart,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let typed = DeskForm {
        invoice_number: form.text("invoice_number").to_owned(),
        invoice_code: form.text("invoice_code").to_owned(),
        issued_on: form.text("issued_on").to_owned(),
        ..DeskForm::default()
    };
    let input = IssueInput {
        invoice_number: typed.invoice_number.clone(),
        invoice_code: typed.invoice_code.clone(),
        issued_on: typed.issued_on.clone(),
        version: form.text("version").parse().ok(),
    };
    let pdf = form
        .files
        .iter()
        .find(|f| f.field == "pdf")
        .map(|f| f.content.as_slice());
    match invoices::issue(&state.app, &signed_in.actor, id, &input, pdf).await {
        Ok(_) => back(id, "notice.invoice_issued"),
        Err(e) => desk_refused(&state, &signed_in, id, typed, e).await,
    }
}

pub async fn finance_ship(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DeskForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let input = ShipInvoiceInput {
        carrier: form.carrier.clone(),
        tracking_number: form.tracking_number.clone(),
    };
    match invoices::mark_shipped(&state.app, &signed_in.actor, id, &input).await {
        Ok(_) => back(id, "notice.invoice_shipped"),
        Err(e) => desk_refused(&state, &signed_in, id, form, e).await,
    }
}

pub async fn finance_collect(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Plain>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match invoices::mark_collected(&state.app, &signed_in.actor, id).await {
        Ok(_) => back(id, "notice.invoice_collected"),
        Err(e) => desk_refused(&state, &signed_in, id, DeskForm::default(), e).await,
    }
}
