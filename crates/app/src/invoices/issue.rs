//! 开票: finance records a paid order's invoice as issued, with its number, date and PDF.

use domain::ids::ApplicationId;
use serde::{Deserialize, Serialize};
use store::invoices::{InvoiceStatus, Issue, IssueOutcome};

use super::{InvoiceView, MAX_PDF, check_number, load, notify, point_name, today_shanghai};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// What finance types when marking an invoice issued.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct IssueInput {
    /// 发票号码: 20 digits for a 数电票, 8 for a paper 专票.
    pub invoice_number: String,
    /// 发票代码: 10 digits, paper 专票 only.
    pub invoice_code: String,
    /// 开票日期, YYYY-MM-DD; not in the future.
    pub issued_on: String,
    /// The `version` of the invoice finance looked at: a request changed since is refused.
    pub version: Option<i64>,
}

/// Marks the invoice issued and attaches its PDF (`pdf`, required for electronic invoices;
/// a scan may be attached to a paper one). Refused unless the order is paid and the invoice
/// still as finance saw it. The applicant is notified.
pub async fn issue(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &IssueInput,
    pdf: Option<&[u8]>,
) -> Result<InvoiceView, Error> {
    authorize(actor, Action::IssueInvoice)?;
    let now = app.now();
    let kind = {
        let mut conn = app.store.conn().await?;
        let i = load(&mut conn, id).await?;
        if i.invoice.status != InvoiceStatus::Requested {
            return Err(Error::Refused("invoice.already_issued"));
        }
        i.invoice.fields.kind
    };
    let mut e = FieldErrors::new();
    check_number(kind, &input.invoice_code, &input.invoice_number, &mut e);
    if input.issued_on.is_empty() {
        e.add("issued_on", "invoice.issued_on_required");
    } else {
        match input.issued_on.parse::<jiff::civil::Date>() {
            Ok(d) if d.to_string() == input.issued_on => {
                if d > today_shanghai(now) {
                    e.add("issued_on", "invoice.issued_on_future");
                }
            }
            _ => e.add("issued_on", "invoice.issued_on_invalid"),
        }
    }
    match pdf.filter(|p| !p.is_empty()) {
        None if !kind.is_paper() => e.add("pdf", "invoice.pdf_required"),
        None => {}
        Some(p) if p.len() > MAX_PDF => e.add("pdf", "invoice.pdf_too_large"),
        Some(p) if !p.starts_with(b"%PDF-") => e.add("pdf", "invoice.pdf_not_pdf"),
        Some(_) => {}
    }
    e.into_result()?;
    let stored = match pdf.filter(|p| !p.is_empty()) {
        Some(p) => Some((
            app.blobs
                .put(p)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?,
            i64::try_from(p.len()).unwrap_or(i64::MAX),
        )),
        None => None,
    };
    let mut tx = app.store.begin().await?;
    let i = load(&mut tx, id).await?;
    if store::payments::latest_paid(&mut tx, id).await?.is_none() {
        return Err(Error::Refused("invoice.not_paid"));
    }
    let version = input.version.unwrap_or(i.invoice.version);
    let outcome = store::invoices::mark_issued(
        &mut tx,
        id,
        version,
        &Issue {
            invoice_code: &input.invoice_code,
            invoice_number: &input.invoice_number,
            issued_on: &input.issued_on,
            pdf_blob_key: stored.as_ref().map(|(k, _)| k.as_str()),
            pdf_size: stored.as_ref().map(|(_, n)| *n),
            by: actor.id,
            at: now,
        },
    )
    .await?;
    match outcome {
        IssueOutcome::Issued => {}
        IssueOutcome::NotOpen if i.invoice.status != InvoiceStatus::Requested => {
            return Err(Error::Refused("invoice.already_issued"));
        }
        IssueOutcome::NotOpen => return Err(Error::Refused("invoice.changed_meanwhile")),
        IssueOutcome::NumberTaken => {
            return Err(Error::field("invoice_number", "invoice.number_taken"));
        }
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "invoice.issue",
        &id.to_text(),
        &format!(
            "code={} number={} on={}",
            input.invoice_code, input.invoice_number, input.issued_on
        ),
    )
    .await?;
    let issued = load(&mut tx, id).await?;
    notify(
        app,
        &mut tx,
        &issued,
        "issued",
        &format!("发票号码：{}", input.invoice_number),
    )
    .await?;
    let name = point_name(&mut tx, issued.invoice.fields.service_point_id).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(application = %id, "invoice issued");
    Ok(InvoiceView::new(issued, name))
}
