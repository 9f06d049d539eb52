//! 开票信息 on an order: what is asked for (or, before the first request, the owner's last
//! details to start from), and asking or changing it until finance issues it.

use domain::application::Status;
use domain::ids::{ApplicationId, ServicePointId};
use serde::Serialize;
use store::applications::ApplicationRecord;
use store::invoices::InvoiceStatus;

use super::{InvoiceInput, InvoiceView, load, owner_of, point_name};
use crate::applications::ServicePointView;
use crate::authz::{Action, Owner, authorize};
use crate::{Actor, App, Error};

/// An order's 开票信息 section.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrderInvoice {
    #[schema(value_type = String)]
    pub application_id: ApplicationId,
    pub order_number: String,
    /// The order's amount, in fen.
    pub amount: i64,
    /// The invoice asked for, if any.
    pub invoice: Option<InvoiceView>,
    /// The form to show: the invoice as asked for, else the organisation's (or the
    /// individual's) last details ("remembered for next time"), else empty.
    pub form: InvoiceInput,
    /// The viewer may ask for or change the invoice now.
    pub can_request: bool,
    /// An individual's order: a 电子普通发票 may go to a person without a 税号.
    pub individual: bool,
    /// The active 办理点 for picking up a paper invoice.
    pub service_points: Vec<ServicePointView>,
}

fn owner(r: &ApplicationRecord) -> Owner {
    Owner {
        organisation: r.organisation_id,
        applicant: r.applicant_id,
    }
}

fn order_open(r: &ApplicationRecord) -> bool {
    !matches!(r.status, Status::Rejected | Status::Withdrawn)
}

async fn order(
    conn: &mut store::AnyConnection,
    id: ApplicationId,
) -> Result<ApplicationRecord, Error> {
    store::applications::get(conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The order's 开票信息: for its owner (with the form to fill) and for finance.
pub async fn for_order(app: &App, actor: &Actor, id: ApplicationId) -> Result<OrderInvoice, Error> {
    let mut conn = app.store.conn().await?;
    let record = order(&mut conn, id).await?;
    let owner = owner(&record);
    authorize(actor, Action::ViewInvoice(owner))?;
    let is_owner = authorize(actor, Action::RequestInvoice(owner)).is_ok();
    let invoice = match store::invoices::get(&mut conn, id).await? {
        Some(i) => {
            let name = point_name(&mut conn, i.invoice.fields.service_point_id).await?;
            Some(InvoiceView::new(i, name))
        }
        None => None,
    };
    let form = match &invoice {
        Some(v) => v.details.clone(),
        None if is_owner => {
            store::invoices::remembered(&mut conn, record.organisation_id, record.applicant_id)
                .await?
                .map(|r| InvoiceInput::from_fields(&r.fields))
                .unwrap_or_default()
        }
        None => InvoiceInput::default(),
    };
    let service_points = crate::config::active_service_points(&mut conn)
        .await?
        .into_iter()
        .map(|p| ServicePointView {
            id: p.id.to_text(),
            name: p.name,
            address: p.address,
            hours: p.hours,
            phone: p.phone,
        })
        .collect();
    Ok(OrderInvoice {
        application_id: id,
        order_number: record.order_number.to_string(),
        amount: record.amount,
        can_request: is_owner && order_open(&record) && invoice.as_ref().is_none_or(|v| v.editable),
        invoice,
        form,
        individual: record.organisation_id.is_none(),
        service_points,
    })
}

/// An order's invoice, in full (its owner, finance).
pub async fn view(app: &App, actor: &Actor, id: ApplicationId) -> Result<InvoiceView, Error> {
    let mut conn = app.store.conn().await?;
    let i = load(&mut conn, id).await?;
    authorize(actor, Action::ViewInvoice(owner_of(&i)))?;
    let name = point_name(&mut conn, i.invoice.fields.service_point_id).await?;
    Ok(InvoiceView::new(i, name))
}

/// An order's invoice on finance's desk (finance and admins only).
pub async fn desk_view(app: &App, actor: &Actor, id: ApplicationId) -> Result<InvoiceView, Error> {
    authorize(actor, Action::IssueInvoice)?;
    view(app, actor, id).await
}

/// 申请发票 or 修改开票信息: the owner asks for the order's invoice, or changes the request
/// until finance issues it. Refused with every field's message at once; refused outright for
/// an order rejected or withdrawn, an invoice issued already, or a request changed meanwhile.
pub async fn request(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &InvoiceInput,
) -> Result<InvoiceView, Error> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let record = order(&mut tx, id).await?;
    authorize(actor, Action::RequestInvoice(owner(&record)))?;
    if !order_open(&record) {
        return Err(Error::Refused("invoice.order_closed"));
    }
    let existing = store::invoices::get(&mut tx, id).await?;
    if let Some(i) = &existing {
        if i.invoice.status != InvoiceStatus::Requested {
            return Err(Error::Refused("invoice.already_issued"));
        }
        if input.version.is_some_and(|v| v != i.invoice.version) {
            return Err(Error::Refused("invoice.changed_meanwhile"));
        }
    }
    let points: Vec<ServicePointId> = crate::config::active_service_points(&mut tx)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let fields =
        super::check(input, record.organisation_id.is_none(), &points).map_err(Error::Invalid)?;
    let (done, action) = match &existing {
        Some(i) => (
            store::invoices::update_request(&mut tx, id, &fields, i.invoice.version, now).await?,
            "invoice.update",
        ),
        None => (
            store::invoices::insert(
                &mut tx,
                id,
                record.organisation_id,
                record.applicant_id,
                &fields,
                now,
            )
            .await?,
            "invoice.request",
        ),
    };
    if !done {
        return Err(Error::Refused("invoice.changed_meanwhile"));
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        action,
        &id.to_text(),
        &format!("type={}", fields.kind.as_str()),
    )
    .await?;
    let saved = load(&mut tx, id).await?;
    let name = point_name(&mut tx, fields.service_point_id).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(application = %id, action, "invoice requested");
    Ok(InvoiceView::new(saved, name))
}
