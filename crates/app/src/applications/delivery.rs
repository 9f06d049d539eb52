//! After production: the key reaches its applicant. By mail, an operator records the
//! carrier and tracking number (已发货) and the applicant (or the operator) confirms it
//! arrived; at a service point, the operator types the applicant's 领取码 and hands the key
//! over (待领取 → 已领取). Either way the order ends 已完成.

use domain::application::{Delivery, Transition};
use domain::ids::ApplicationId;
use domain::text::Line;
use serde::{Deserialize, Serialize};
use store::deliveries::DeliveryRecord;

use super::transition::{self, By, Extras};
use super::{flow_of, load, owner};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// 发货: the parcel left.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ShipInput {
    /// 快递公司
    pub carrier: String,
    /// 运单号
    pub tracking_number: String,
    pub version: Option<i64>,
}

/// 领取: the operator hands the key over at the service point.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HandOverInput {
    /// 领取码, as the applicant shows it.
    pub pickup_code: String,
    pub version: Option<i64>,
}

/// How an order's key reaches its applicant, as the order page shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// mail | pickup
    pub method: String,
    /// 领取码: shown to the applicant only.
    pub pickup_code: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    #[schema(value_type = Option<String>)]
    pub shipped_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>)]
    pub delivered_at: Option<jiff::Timestamp>,
}

impl DeliveryView {
    pub(crate) fn new(d: DeliveryRecord, show_code: bool) -> DeliveryView {
        DeliveryView {
            method: d.method.as_str().to_owned(),
            pickup_code: d.pickup_code.filter(|_| show_code),
            carrier: d.carrier,
            tracking_number: d.tracking_number,
            shipped_at: d.shipped_at,
            delivered_at: d.delivered_at,
        }
    }
}

fn tracking_number(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("delivery.tracking_number_required");
    }
    if !(6..=40).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("delivery.tracking_number_invalid");
    }
    Ok(s.to_ascii_uppercase())
}

/// 发货 (邮寄): the carrier and the tracking number; the order shows 已发货.
pub async fn ship(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &ShipInput,
) -> Result<(), Error> {
    authorize(actor, Action::Deliver)?;
    let mut e = FieldErrors::new();
    let carrier = input.carrier.trim();
    if carrier.is_empty() {
        e.add("carrier", "delivery.carrier_required");
    } else {
        e.check("carrier", Line::<50>::parse(carrier));
    }
    let tracking = match tracking_number(&input.tracking_number) {
        Ok(t) => Some(t),
        Err(key) => {
            e.add("tracking_number", key);
            None
        }
    };
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    if input.version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let next = flow_of(&record)?
        .shipped_out()
        .map_err(|err| Error::Refused(domain::Reason::key(&err)))?;
    e.into_result()?;
    let tracking = tracking.unwrap_or_default();
    if !store::deliveries::mark_shipped(&mut tx, id, carrier, &tracking, actor.id, app.now())
        .await?
    {
        return Err(Error::Refused("delivery.not_open"));
    }
    let comment = format!("快递公司：{carrier}，运单号：{tracking}");
    finish(app, tx, &record, next, Transition::Shipped, actor, &comment).await
}

/// 领取: the operator checks the applicant's 领取码 and hands the key over; the order ends.
pub async fn hand_over(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &HandOverInput,
) -> Result<(), Error> {
    authorize(actor, Action::Deliver)?;
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    if input.version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let flow = flow_of(&record)?;
    if flow.delivery() != Delivery::Pickup {
        return Err(Error::Refused("delivery.not_pickup"));
    }
    let next = flow
        .delivered()
        .map_err(|err| Error::Refused(domain::Reason::key(&err)))?;
    let delivery = store::deliveries::get(&mut tx, id)
        .await?
        .ok_or(Error::Refused("delivery.not_open"))?;
    let typed = input.pickup_code.trim();
    if typed.is_empty() {
        return Err(Error::field("pickup_code", "delivery.pickup_code_required"));
    }
    if delivery.pickup_code.as_deref() != Some(typed) {
        return Err(Error::field("pickup_code", "delivery.pickup_code_wrong"));
    }
    if !store::deliveries::mark_delivered(&mut tx, id, actor.id, app.now()).await? {
        return Err(Error::Refused("delivery.not_open"));
    }
    finish(
        app,
        tx,
        &record,
        next,
        Transition::Delivered,
        actor,
        "已领取",
    )
    .await
}

/// 确认收货: a mailed key arrived (its applicant says so, or an operator); the order ends.
pub async fn confirm_receipt(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    version: Option<i64>,
) -> Result<(), Error> {
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    authorize(actor, Action::ConfirmReceipt(owner(&record)))?;
    if version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let flow = flow_of(&record)?;
    if flow.delivery() != Delivery::Mail {
        return Err(Error::Refused("delivery.not_mail"));
    }
    let next = flow
        .delivered()
        .map_err(|err| Error::Refused(domain::Reason::key(&err)))?;
    if !store::deliveries::mark_delivered(&mut tx, id, actor.id, app.now()).await? {
        return Err(Error::Refused("delivery.not_open"));
    }
    finish(
        app,
        tx,
        &record,
        next,
        Transition::Delivered,
        actor,
        "已签收",
    )
    .await
}

/// Moves the order on and commits.
async fn finish(
    app: &App,
    mut tx: store::Transaction,
    record: &store::applications::ApplicationRecord,
    next: domain::application::Flow,
    t: Transition,
    actor: &Actor,
    comment: &str,
) -> Result<(), Error> {
    transition::commit(
        app,
        &mut tx,
        record,
        next,
        t,
        By::Person(actor),
        comment,
        Extras::default(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
