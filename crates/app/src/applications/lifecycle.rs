//! 新增申请 (start), 修改保存 (save), 提交 (submit) and 撤回 (withdraw).

use domain::application::{
    CertType, Channel, Flow, Kind, OrderNumber, Quote, QuoteInput, Transition,
};
use domain::ids::ApplicationId;
use serde::{Deserialize, Serialize};
use store::applications::{FormUpdate, NewApplication};

use super::form::{self, ApplicationInput};
use super::transition::{self, By, Extras, shanghai};
use super::{flow_of, load, owner};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors, config};

/// The first screen of 新增申请: what is asked for, and the terms (阅读条款 → 同意).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StartInput {
    /// new | renew | replace | change | inspect | cancel
    pub kind: String,
    /// org_master | org_staff | personal | seal
    pub cert_type: String,
    /// online | onsite
    pub channel: String,
    /// "yes" once the applicant has read the terms and agreed (同意).
    pub agree_terms: String,
    /// The serial of the certificate this is started from (证书管理: 延期, 补办, …), kept
    /// in the draft's `certificate_serial`; empty otherwise.
    pub certificate: String,
}

/// 提交: the form, and the acknowledgment that a paid application cannot be withdrawn.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SubmitInput {
    #[serde(flatten)]
    pub form: ApplicationInput,
    /// "yes": 本单位已知晓由于CA证书的特殊性，一旦申请，不能退办。
    pub acknowledge: String,
    /// The version the applicant saw; a stale one is refused rather than overwritten.
    pub version: Option<i64>,
}

/// Starts a draft once the applicant agreed to the terms.
pub async fn start(app: &App, actor: &Actor, input: &StartInput) -> Result<ApplicationId, Error> {
    authorize(actor, Action::Apply)?;
    let mut e = FieldErrors::new();
    let kind = e.check("kind", Kind::parse(&input.kind));
    let channel = e.check("channel", Channel::parse(&input.channel));
    let cert_type = e.check("cert_type", CertType::parse(&input.cert_type));
    if let Some(t) = cert_type {
        if !CertType::open_to(actor.organisation().is_some()).contains(&t) {
            e.add("cert_type", "cert_type.not_open");
        }
        if kind == Some(Kind::Inspect) && t != CertType::Seal {
            e.add("kind", "kind.inspect_seal_only");
        }
    }
    if !super::ticked(&input.agree_terms) {
        e.add("agree_terms", "application.terms_required");
    }
    let certificate_serial =
        crate::certificates::starting_from(app, actor, kind, cert_type, &input.certificate, &mut e)
            .await?;
    e.into_result()?;
    let (Some(kind), Some(channel), Some(cert_type)) = (kind, channel, cert_type) else {
        return Err(Error::Internal("parsed start without values".into()));
    };

    let now = app.now();
    let mut tx = app.store.begin().await?;
    let procedure = config::procedure(&mut tx, kind, channel).await?;
    let input = ApplicationInput {
        handler_name: actor.name.clone(),
        quantity: "1".into(),
        years: "1".into(),
        certificate_serial,
        ..ApplicationInput::default()
    };
    let (quantity, years, delivery, _) = form::draft_columns(kind, &procedure, channel, &input);
    let flow = Flow::new(procedure.clone(), delivery);
    let day = now.to_zoned(shanghai()).date();
    let day_key = day.strftime("%Y%m%d").to_string();
    let sequence = store::applications::next_sequence(&mut tx, &day_key).await?;
    let number = OrderNumber::new(day, sequence);
    let id = ApplicationId::new();
    let form_json = serde_json::to_string(&input).map_err(|e| Error::Internal(e.to_string()))?;
    store::applications::insert(
        &mut tx,
        &NewApplication {
            id,
            order_number: &number,
            organisation_id: actor.organisation(),
            applicant_id: actor.id,
            kind,
            cert_type,
            channel,
            delivery,
            procedure: &procedure.code(),
            status: flow.status(),
            form: &form_json,
            quantity,
            years,
            at: now,
        },
    )
    .await?;
    store::events::append(
        &mut tx,
        &store::events::NewEvent {
            application_id: id,
            at: now,
            actor_id: actor.audit_id(),
            actor_name: &actor.name,
            transition: Transition::Created,
            from_status: flow.status(),
            to_status: flow.status(),
            comment: "已阅读并同意条款",
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(application = %id, %kind, %channel, "application started");
    Ok(id)
}

/// 修改保存: keeps what was typed, valid or not, while the application is at fill.
pub async fn save(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &ApplicationInput,
    version: Option<i64>,
) -> Result<(), Error> {
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    authorize(actor, Action::EditApplication(owner(&record)))?;
    let flow = flow_of(&record)?;
    if !flow.is_editable() {
        return Err(Error::Refused("transition.not_editable"));
    }
    if version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let (quantity, years, delivery, point) =
        form::draft_columns(record.kind, flow.procedure(), record.channel, input);
    if flow.paid()
        && (quantity != record.quantity || years != record.years || delivery != record.delivery)
    {
        return Err(Error::Refused("application.paid_terms_fixed"));
    }
    let form_json = serde_json::to_string(input).map_err(|e| Error::Internal(e.to_string()))?;
    let ok = store::applications::update_form(
        &mut tx,
        id,
        record.version,
        &FormUpdate {
            form: &form_json,
            delivery,
            quantity,
            years,
            service_point_id: point,
            at: app.now(),
        },
    )
    .await?;
    if !ok {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// 提交: saves the form, then checks every field and the required documents, prices
/// the order and moves it on (to payment or review, as its procedure says).
/// Whatever is wrong is reported field by field; what was typed is saved either way.
pub async fn submit(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &SubmitInput,
) -> Result<(), Error> {
    save(app, actor, id, &input.form, input.version).await?;
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    authorize(actor, Action::EditApplication(owner(&record)))?;
    let flow = flow_of(&record)?;
    let points = config::active_service_points(&mut tx).await?;
    let (parsed, mut errors) = match form::parse(
        record.kind,
        record.channel,
        flow.procedure(),
        &input.form,
        &points,
    ) {
        Ok(p) => (Some(p), FieldErrors::new()),
        Err(e) => (None, e),
    };
    if !super::ticked(&input.acknowledge) {
        errors.add("acknowledge", "application.acknowledge_required");
    }
    let requirements = config::requirements(&mut tx, record.kind, record.cert_type).await?;
    let present = store::documents::current(&mut tx, id).await?;
    for r in requirements.iter().filter(|r| r.required) {
        if !present.iter().any(|d| d.kind == r.document) {
            errors.add(r.document.as_str(), "document.missing");
        }
    }
    errors.into_result()?;
    let Some(parsed) = parsed else {
        return Err(Error::Internal("parsed form missing without errors".into()));
    };
    let unit_price = config::price(&mut tx, record.kind, record.cert_type, record.channel).await?;
    let shipping = match parsed.delivery {
        domain::application::Delivery::Mail => Some(config::shipping_fee(&mut tx).await?),
        _ => None,
    };
    let quote = Quote::compute(QuoteInput {
        unit_price,
        quantity: parsed.quantity,
        years: parsed.years,
        shipping,
        overdue: domain::Fen(0),
    })
    .map_err(|e| Error::field("quantity", domain::Reason::key(&e)))?;
    // A paid application keeps its price: a return does not reopen payment.
    let amount = if flow.paid() {
        flow.amount()
    } else {
        quote.total
    };
    let next = flow
        .submit(amount, parsed.delivery)
        .map_err(|e| Error::Refused(domain::Reason::key(&e)))?;
    let quote_json = serde_json::to_string(&quote).map_err(|e| Error::Internal(e.to_string()))?;
    let comment = if record.returned {
        "修改后重新提交"
    } else {
        ""
    };
    transition::commit(
        app,
        &mut tx,
        &record,
        next,
        Transition::Submitted,
        By::Person(actor),
        comment,
        Extras {
            quote: (!flow.paid()).then_some(quote_json.as_str()),
            submitted: true,
            overdue: None,
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// 撤回: only before payment (一旦申请，不能退办).
pub async fn withdraw(app: &App, actor: &Actor, id: ApplicationId) -> Result<(), Error> {
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    authorize(actor, Action::EditApplication(owner(&record)))?;
    let next = flow_of(&record)?
        .withdraw()
        .map_err(|e| Error::Refused(domain::Reason::key(&e)))?;
    let closed = store::payments::close_pending(&mut tx, id).await?;
    transition::commit(
        app,
        &mut tx,
        &record,
        next,
        Transition::Withdrawn,
        By::Person(actor),
        "",
        Extras::default(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    crate::payments::close_at_provider(app, &closed).await;
    Ok(())
}
