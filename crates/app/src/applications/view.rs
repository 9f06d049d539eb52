//! The order page: everything about one application that its viewer may see.

use domain::application::{CertType, Channel, Delivery, Kind, Quote, Status, Step, Transition};
use domain::ids::{ApplicationId, DocumentId, OrganisationId};
use jiff::Timestamp;
use serde::Serialize;

use super::form::ApplicationInput;
use super::{flow_of, load, owner};
use crate::authz::{Action, authorize};
use crate::payments::{PaymentView, RefundView, refund_view, view_of};
use crate::{Actor, App, Error, config};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// The step's code: fill, pay, review:first, review:final:auto, produce:operator, deliver.
    pub code: String,
    /// done | current | todo
    pub state: &'static str,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    #[schema(value_type = String)]
    pub id: DocumentId,
    pub document_kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    #[schema(value_type = String)]
    pub uploaded_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RequirementView {
    pub document_kind: String,
    pub required: bool,
    pub uploaded: Option<DocumentView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub actor_name: String,
    #[schema(value_type = String)]
    pub transition: Transition,
    #[schema(value_type = String)]
    pub from_status: Status,
    #[schema(value_type = String)]
    pub to_status: Status,
    pub comment: String,
}

/// A certificate produced for the order (or revoked by it).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProducedCertificateView {
    pub serial: String,
    pub subject: String,
    pub token_serial: Option<String>,
    #[schema(value_type = String)]
    pub not_before: Timestamp,
    #[schema(value_type = String)]
    pub not_after: Timestamp,
    /// valid | revoked
    pub status: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    #[schema(value_type = String)]
    pub id: ApplicationId,
    pub order_number: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub cert_type: CertType,
    #[schema(value_type = String)]
    pub channel: Channel,
    #[schema(value_type = String)]
    pub delivery: Delivery,
    #[schema(value_type = String)]
    pub status: Status,
    pub steps: Vec<StepView>,
    pub form: ApplicationInput,
    /// Whether the form asks how the key is delivered (procedures with a deliver step).
    pub chooses_delivery: bool,
    pub quantity: u32,
    pub years: u32,
    /// The amount due, in fen.
    pub amount: i64,
    pub paid: bool,
    #[schema(value_type = Option<Object>)]
    pub quote: Option<Quote>,
    pub overdue_months: Option<i64>,
    /// SLA due date of the current review (YYYY-MM-DD).
    pub due_on: Option<String>,
    pub overdue: bool,
    #[schema(value_type = Option<String>)]
    pub organisation_id: Option<OrganisationId>,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    pub applicant_name: String,
    /// 已申请数量 of the organisation (or individual).
    pub quantity_applied: u64,
    pub requirements: Vec<RequirementView>,
    pub history: Vec<EventView>,
    pub payment: Option<PaymentView>,
    /// Refunds of this order's payments (after 拒绝, or of a second payment), oldest first.
    pub refunds: Vec<RefundView>,
    /// The payment providers the payer may choose from, default first.
    pub payment_providers: Vec<String>,
    /// The reviewer's reason when the application was sent back.
    pub returned_reason: Option<String>,
    /// The certificates produced for this order, oldest first.
    pub certificates: Vec<ProducedCertificateView>,
    /// How the key reaches the applicant, once produced (邮寄 / 网点领取).
    pub delivery_details: Option<super::DeliveryView>,
    pub version: i64,
    /// What the viewer may do now: edit, submit, withdraw, pay, review, produce, ship,
    /// hand_over, confirm_receipt.
    pub actions: Vec<&'static str>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub submitted_at: Option<Timestamp>,
}

pub async fn view(app: &App, actor: &Actor, id: ApplicationId) -> Result<ApplicationView, Error> {
    let mut conn = app.store.conn().await?;
    let record = load(&mut conn, id).await?;
    let owner = owner(&record);
    authorize(actor, Action::ViewApplication(owner))?;
    let flow = flow_of(&record)?;
    let current = match flow.position() {
        domain::application::Position::At(i) => Some(i),
        _ => None,
    };
    let finished = flow.status() == Status::Completed;
    let steps = flow
        .procedure()
        .steps()
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            code: s.code(),
            state: match current {
                Some(c) if i < c => "done",
                Some(c) if i == c => "current",
                None if finished => "done",
                _ => "todo",
            },
        })
        .collect();
    let form: ApplicationInput = serde_json::from_str(&record.form).unwrap_or_default();
    let docs = store::documents::current(&mut conn, id).await?;
    let requirements = config::requirements(&mut conn, record.kind, record.cert_type).await?;
    let mut requirement_views: Vec<RequirementView> = requirements
        .iter()
        .map(|r| RequirementView {
            document_kind: r.document.as_str().into(),
            required: r.required,
            uploaded: None,
        })
        .collect();
    for d in docs {
        let v = DocumentView {
            id: d.id,
            document_kind: d.kind.as_str().into(),
            file_name: d.file_name,
            content_type: d.file_type.as_str().into(),
            size: d.size,
            uploaded_at: d.uploaded_at,
        };
        match requirement_views
            .iter_mut()
            .find(|r| r.document_kind == v.document_kind)
        {
            Some(r) => r.uploaded = Some(v),
            None => requirement_views.push(RequirementView {
                document_kind: v.document_kind.clone(),
                required: false,
                uploaded: Some(v),
            }),
        }
    }
    let history: Vec<EventView> = store::events::for_application(&mut conn, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: e.at,
            actor_name: e.actor_name,
            transition: e.transition,
            from_status: e.from_status,
            to_status: e.to_status,
            comment: e.comment,
        })
        .collect();
    let returned_reason = if flow.returned() {
        history
            .iter()
            .rev()
            .find(|e| e.transition == Transition::Returned)
            .map(|e| e.comment.clone())
    } else {
        None
    };
    let payment = store::payments::latest(&mut conn, id)
        .await?
        .map(|p| view_of(&p));
    let refunds = store::refunds::of_application(&mut conn, id)
        .await?
        .iter()
        .map(refund_view)
        .collect();
    let org = match record.organisation_id {
        Some(o) => store::organisations::find(&mut conn, o).await?,
        None => None,
    };
    let applicant = store::users::find(&mut conn, record.applicant_id).await?;
    let scope = match record.organisation_id {
        Some(o) => store::applications::Scope::Organisation(o),
        None => store::applications::Scope::Applicant(record.applicant_id),
    };
    let quantity_applied = store::applications::quantity_applied(&mut conn, scope).await?;
    let today = app
        .now()
        .to_zoned(super::transition::shanghai())
        .date()
        .to_string();
    let overdue = record.due_on.as_deref().is_some_and(|d| d < today.as_str());

    let mut actions = Vec::new();
    if authorize(actor, Action::EditApplication(owner)).is_ok() {
        if flow.is_editable() {
            actions.extend(["edit", "submit"]);
        }
        if flow.can_withdraw() {
            actions.push("withdraw");
        }
        if flow.step() == Some(Step::Pay) {
            actions.push("pay");
        }
    }
    if authorize(actor, Action::Review).is_ok() && matches!(flow.step(), Some(Step::Review(..))) {
        actions.push("review");
    }
    match flow.step() {
        Some(Step::Produce(p))
            if authorize(actor, Action::ProduceApplication(p, owner)).is_ok() =>
        {
            actions.push("produce");
        }
        Some(Step::Deliver) if authorize(actor, Action::Deliver).is_ok() => {
            match (flow.delivery(), flow.shipped()) {
                (Delivery::Mail, false) => actions.push("ship"),
                (Delivery::Mail, true) => actions.push("confirm_receipt"),
                (Delivery::Pickup, _) => actions.push("hand_over"),
                (Delivery::Download, _) => {}
            }
        }
        Some(Step::Deliver)
            if flow.delivery() == Delivery::Mail
                && flow.shipped()
                && authorize(actor, Action::ConfirmReceipt(owner)).is_ok() =>
        {
            actions.push("confirm_receipt");
        }
        _ => {}
    }
    let certificates = store::ca::for_application(&mut conn, id)
        .await?
        .into_iter()
        .map(|c| ProducedCertificateView {
            serial: c.issued.serial,
            subject: c.issued.subject,
            token_serial: c.issued.token_serial,
            not_before: c.issued.not_before,
            not_after: c.issued.not_after,
            status: c.status.as_str().to_owned(),
        })
        .collect();
    let is_owner = authorize(actor, Action::EditApplication(owner)).is_ok();
    let delivery_details = store::deliveries::get(&mut conn, id)
        .await?
        .map(|d| super::DeliveryView::new(d, is_owner));
    Ok(ApplicationView {
        id,
        order_number: record.order_number.to_string(),
        kind: record.kind,
        cert_type: record.cert_type,
        channel: record.channel,
        delivery: record.delivery,
        status: record.status,
        steps,
        chooses_delivery: super::form::chooses_delivery(flow.procedure()),
        form,
        quantity: record.quantity,
        years: record.years,
        amount: record.amount,
        paid: record.paid,
        quote: record
            .quote
            .as_deref()
            .and_then(|q| serde_json::from_str(q).ok()),
        overdue_months: record.overdue_months,
        due_on: record.due_on.clone(),
        overdue,
        organisation_id: record.organisation_id,
        organisation_name: org.as_ref().map(|o| o.name.clone()),
        credit_code: org.as_ref().map(|o| o.credit_code.as_str().to_owned()),
        applicant_name: applicant.map(|u| u.name).unwrap_or_default(),
        quantity_applied,
        requirements: requirement_views,
        history,
        payment,
        refunds,
        payment_providers: app
            .payment_providers()
            .into_iter()
            .map(String::from)
            .collect(),
        returned_reason,
        certificates,
        delivery_details,
        version: record.version,
        actions,
        created_at: record.created_at,
        submitted_at: record.submitted_at,
    })
}

/// A 办理点 the applicant may choose for pickup or on-site business.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServicePointView {
    pub id: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub phone: String,
}

/// The active service points, for the form's 办理点 choice.
pub async fn service_points(app: &App, actor: &Actor) -> Result<Vec<ServicePointView>, Error> {
    authorize(actor, Action::Apply)?;
    let mut conn = app.store.conn().await?;
    Ok(config::active_service_points(&mut conn)
        .await?
        .into_iter()
        .map(|p| ServicePointView {
            id: p.id.to_text(),
            name: p.name,
            address: p.address,
            hours: p.hours,
            phone: p.phone,
        })
        .collect())
}
