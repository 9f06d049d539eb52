//! A paper 专票 after it is issued: 已寄出 (carrier and tracking number) or 已领取 at the
//! service point. The applicant is notified.

use domain::ids::ApplicationId;
use serde::{Deserialize, Serialize};
use store::invoices::InvoiceStatus;

use super::{InvoiceView, load, notify, point_name};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// 寄出: the carrier and the tracking number.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ShipInvoiceInput {
    /// 快递公司
    pub carrier: String,
    /// 运单号: letters and digits.
    pub tracking_number: String,
}

/// 已寄出: a mailed paper invoice left.
pub async fn mark_shipped(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &ShipInvoiceInput,
) -> Result<InvoiceView, Error> {
    authorize(actor, Action::IssueInvoice)?;
    let mut e = FieldErrors::new();
    let carrier = &input.carrier;
    if carrier.is_empty() {
        e.add("carrier", "invoice.carrier_required");
    } else if carrier.chars().count() > 50
        || carrier.chars().any(char::is_control)
        || carrier.trim() != carrier
    {
        e.add("carrier", "invoice.carrier_invalid");
    }
    let tracking = &input.tracking_number;
    if tracking.is_empty() {
        e.add("tracking_number", "invoice.tracking_number_required");
    } else if !(6..=40).contains(&tracking.len())
        || !tracking.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        e.add("tracking_number", "invoice.tracking_number_invalid");
    }
    e.into_result()?;
    hand(
        app,
        actor,
        id,
        InvoiceStatus::Shipped,
        Some((carrier, tracking)),
    )
    .await
}

/// 已领取: a paper invoice was picked up at the service point.
pub async fn mark_collected(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
) -> Result<InvoiceView, Error> {
    authorize(actor, Action::IssueInvoice)?;
    hand(app, actor, id, InvoiceStatus::Collected, None).await
}

async fn hand(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    to: InvoiceStatus,
    shipment: Option<(&str, &str)>,
) -> Result<InvoiceView, Error> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let i = load(&mut tx, id).await?;
    if !i.invoice.fields.kind.is_paper() {
        return Err(Error::Refused("invoice.not_paper"));
    }
    if !store::invoices::mark_handed(
        &mut tx,
        id,
        to,
        shipment.map(|s| s.0),
        shipment.map(|s| s.1),
        actor.id,
        now,
    )
    .await?
    {
        return Err(Error::Refused(match i.invoice.status {
            InvoiceStatus::Requested => "invoice.not_issued",
            InvoiceStatus::Issued => "invoice.wrong_collection",
            _ => "invoice.handed_already",
        }));
    }
    let (status, comment) = match shipment {
        Some((carrier, tracking)) => (
            "shipped",
            format!("快递公司：{carrier}，运单号：{tracking}"),
        ),
        None => ("collected", String::new()),
    };
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        &format!("invoice.{status}"),
        &id.to_text(),
        &comment,
    )
    .await?;
    let done = load(&mut tx, id).await?;
    notify(app, &mut tx, &done, status, &comment).await?;
    let name = point_name(&mut tx, done.invoice.fields.service_point_id).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(application = %id, status, "paper invoice handed over");
    Ok(InvoiceView::new(done, name))
}
