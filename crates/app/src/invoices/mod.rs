//! Invoices: the applicant's 开票信息 on an order and 发票管理, finance's invoice desk.
//!
//! An order has at most one invoice. Its applicant asks for it at any time before the order
//! ends (the seeds do it at order time) and may change it until finance issues it; it enters
//! finance's queue (待开票) once the order is paid (a paid row in `payments`). Finance issues
//! it with its number, date and PDF (已开票); a paper 专票 then leaves by mail (已寄出) or is
//! picked up at the service point (已领取). Each step notifies the applicant.
//! One file per action.

mod download;
mod form;
mod handover;
mod issue;
mod list;
mod request;

pub use download::{InvoicePdf, download_pdf};
pub use form::{InvoiceInput, check, check_number};
pub use handover::{ShipInvoiceInput, mark_collected, mark_shipped};
pub use issue::{IssueInput, issue};
pub use list::{InvoiceQuery, InvoiceSummary, list_own, queue};
pub use request::{OrderInvoice, desk_view, for_order, request, view};

use domain::ids::{ApplicationId, ServicePointId};
use jiff::Timestamp;
use serde::Serialize;
use store::AnyConnection;
use store::invoices::{InvoiceStatus, ListedInvoice};

use crate::authz::Owner;
use crate::{App, Error};

/// The catalogue key of an invoice notification; its detail is `order|status|comment`, the
/// status being `invoice_issued`, `invoice_shipped` or `invoice_collected`.
pub const NOTIFICATION: &str = "notification.invoice";

/// The largest invoice PDF accepted.
pub const MAX_PDF: usize = 10 * 1024 * 1024;

/// Where an invoice stands, as the applicant and finance see it.
pub fn status_code(i: &ListedInvoice) -> &'static str {
    match i.invoice.status {
        InvoiceStatus::Requested if !i.paid => "awaiting_payment",
        InvoiceStatus::Requested => "pending",
        InvoiceStatus::Issued => "issued",
        InvoiceStatus::Shipped => "shipped",
        InvoiceStatus::Collected => "collected",
    }
}

fn status_zh(code: &str) -> &'static str {
    match code {
        "awaiting_payment" => "待支付后开票",
        "pending" => "待开票",
        "issued" => "已开票",
        "shipped" => "已寄出",
        "collected" => "已领取",
        _ => "",
    }
}

/// An order's invoice in full: what was asked for and what finance recorded.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvoiceView {
    #[schema(value_type = String)]
    pub application_id: ApplicationId,
    pub order_number: String,
    /// The amount invoiced, in fen: the paid amount once paid, else the order's.
    pub amount: i64,
    pub paid: bool,
    /// awaiting_payment (待支付后开票) | pending (待开票) | issued (已开票) | shipped (已寄出) | collected (已领取)
    pub status: String,
    /// 开票信息 as stored.
    pub details: InvoiceInput,
    /// The 办理点's name, for a paper invoice picked up.
    pub service_point_name: Option<String>,
    pub invoice_code: String,
    pub invoice_number: Option<String>,
    /// 开票日期 (YYYY-MM-DD).
    pub issued_on: Option<String>,
    /// A PDF is attached: download it from `/api/v1/invoices/{application_id}/pdf`.
    pub has_pdf: bool,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    #[schema(value_type = String)]
    pub requested_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub issued_at: Option<Timestamp>,
    /// The applicant may still change it (not issued yet).
    pub editable: bool,
    pub version: i64,
}

impl InvoiceView {
    pub(crate) fn new(i: ListedInvoice, service_point_name: Option<String>) -> InvoiceView {
        let status = status_code(&i).to_owned();
        let r = i.invoice;
        let mut details = InvoiceInput::from_fields(&r.fields);
        details.version = Some(r.version);
        InvoiceView {
            application_id: r.application_id,
            order_number: i.order_number,
            amount: i.amount,
            paid: i.paid,
            status,
            details,
            service_point_name,
            invoice_code: r.invoice_code,
            invoice_number: r.invoice_number,
            issued_on: r.issued_on,
            has_pdf: r.pdf_blob_key.is_some(),
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            requested_at: r.requested_at,
            issued_at: r.issued_at,
            editable: r.status == InvoiceStatus::Requested,
            version: r.version,
        }
    }
}

pub(crate) fn owner_of(i: &ListedInvoice) -> Owner {
    Owner {
        organisation: i.invoice.organisation_id,
        applicant: i.invoice.applicant_id,
    }
}

pub(crate) async fn load(
    conn: &mut AnyConnection,
    id: ApplicationId,
) -> Result<ListedInvoice, Error> {
    store::invoices::get(conn, id).await?.ok_or(Error::NotFound)
}

pub(crate) async fn point_name(
    conn: &mut AnyConnection,
    id: Option<ServicePointId>,
) -> Result<Option<String>, Error> {
    Ok(match id {
        Some(id) => store::config::service_point(conn, id)
            .await?
            .map(|p| p.name),
        None => None,
    })
}

pub(crate) fn today_shanghai(now: Timestamp) -> jiff::civil::Date {
    match jiff::tz::TimeZone::get("Asia/Shanghai") {
        Ok(tz) => now.to_zoned(tz).date(),
        Err(_) => now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    }
}

/// Tells the applicant what finance did (in the app, and by e-mail to the invoice's 接收邮箱,
/// else the applicant's address), in the caller's transaction.
pub(crate) async fn notify(
    app: &App,
    conn: &mut AnyConnection,
    i: &ListedInvoice,
    status: &str,
    comment: &str,
) -> Result<(), Error> {
    let now = app.now();
    let r = &i.invoice;
    let detail = format!("{}|invoice_{status}|{comment}", i.order_number);
    store::notifications::insert(
        conn,
        r.applicant_id,
        Some(r.application_id),
        now,
        NOTIFICATION,
        &detail,
    )
    .await?;
    let email = if r.fields.notify_email.is_empty() {
        store::users::find(conn, r.applicant_id)
            .await?
            .and_then(|u| u.email)
    } else {
        Some(r.fields.notify_email.clone())
    };
    if let Some(to) = email {
        let subject = format!(
            "【CA证书办理】订单 {} 发票{}",
            i.order_number,
            status_zh(status)
        );
        let body = format!(
            "您好：\n\n您的CA证书办理订单 {} 的发票{}。{comment}\n\n\
             查看与下载：{}/invoices\n\n此邮件由系统自动发送，请勿回复。\n",
            i.order_number,
            status_zh(status),
            app.public_url,
        );
        store::notifications::enqueue_mail(conn, now, &to, &subject, &body).await?;
    }
    Ok(())
}
