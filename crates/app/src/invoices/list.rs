//! 发票管理 (the applicant's invoices across orders) and finance's queue.

use domain::ids::ApplicationId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::invoices::{InvoiceStatus, ListFilter, ListedInvoice};

use super::status_code;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// Rows a list shows at most.
const LIMIT: i64 = 200;

/// Which invoices to list.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(default)]
pub struct InvoiceQuery {
    /// `pending` (待开票), `issued` (已开票, 已寄出, 已领取) or empty for all.
    pub status: String,
    /// An order number, or part of the buyer's name.
    pub q: String,
}

/// One invoice in a list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvoiceSummary {
    #[schema(value_type = String)]
    pub application_id: ApplicationId,
    pub order_number: String,
    /// e_normal | e_special | paper_special
    pub invoice_type: String,
    pub buyer_name: String,
    pub tax_id: String,
    /// In fen.
    pub amount: i64,
    /// awaiting_payment | pending | issued | shipped | collected
    pub status: String,
    /// mail | pickup, for paper invoices.
    pub collection: Option<String>,
    pub invoice_number: Option<String>,
    pub issued_on: Option<String>,
    pub has_pdf: bool,
    #[schema(value_type = String)]
    pub requested_at: Timestamp,
}

impl From<ListedInvoice> for InvoiceSummary {
    fn from(i: ListedInvoice) -> Self {
        let status = status_code(&i).to_owned();
        let r = i.invoice;
        InvoiceSummary {
            application_id: r.application_id,
            order_number: i.order_number,
            invoice_type: r.fields.kind.as_str().to_owned(),
            buyer_name: r.fields.buyer_name,
            tax_id: r.fields.tax_id,
            amount: i.amount,
            status,
            collection: r.fields.collection.map(|c| c.as_str().to_owned()),
            invoice_number: r.invoice_number,
            issued_on: r.issued_on,
            has_pdf: r.pdf_blob_key.is_some(),
            requested_at: r.requested_at,
        }
    }
}

fn statuses(status: &str) -> Result<Vec<InvoiceStatus>, Error> {
    match status {
        "" => Ok(vec![]),
        "pending" => Ok(vec![InvoiceStatus::Requested]),
        "issued" => Ok(vec![
            InvoiceStatus::Issued,
            InvoiceStatus::Shipped,
            InvoiceStatus::Collected,
        ]),
        _ => Err(Error::field("status", "invoice.filter_unknown")),
    }
}

/// 发票管理: the invoices of the actor's organisation (or, for an individual, their own),
/// newest first.
pub async fn list_own(
    app: &App,
    actor: &Actor,
    query: &InvoiceQuery,
) -> Result<Vec<InvoiceSummary>, Error> {
    authorize(actor, Action::ListOwnInvoices)?;
    let owner = match actor.organisation() {
        Some(org) => (Some(org), actor.id),
        None => (None, actor.id),
    };
    let mut conn = app.store.conn().await?;
    let filter = ListFilter {
        owner: Some(owner),
        statuses: statuses(query.status.trim())?,
        search: query.q.trim().to_owned(),
        limit: LIMIT,
    };
    Ok(store::invoices::list(&mut conn, &filter)
        .await?
        .into_iter()
        .map(InvoiceSummary::from)
        .collect())
}

/// Finance's queue: invoices of paid orders, oldest request first; `pending` are those to issue.
pub async fn queue(
    app: &App,
    actor: &Actor,
    query: &InvoiceQuery,
) -> Result<Vec<InvoiceSummary>, Error> {
    authorize(actor, Action::IssueInvoice)?;
    let mut conn = app.store.conn().await?;
    let filter = ListFilter {
        owner: None,
        statuses: statuses(query.status.trim())?,
        search: query.q.trim().to_owned(),
        limit: LIMIT,
    };
    Ok(store::invoices::list(&mut conn, &filter)
        .await?
        .into_iter()
        .map(InvoiceSummary::from)
        .collect())
}
