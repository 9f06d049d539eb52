//! The two settings on the overview: the shipping fee for 邮寄 and the review SLA.

use domain::Fen;
use serde::{Deserialize, Serialize};

use super::{Source, audit, parsed};
use crate::authz::{Action, authorize};
use crate::config::{
    DEFAULT_REVIEW_SLA_DAYS, DEFAULT_SHIPPING_FEE, REVIEW_SLA_KEY, SHIPPING_FEE_KEY,
};
use crate::{Actor, App, Error, FieldErrors};

/// The most working days a review may be given.
pub const MAX_SLA_DAYS: u32 = 60;
/// The highest shipping fee accepted: 1,000 元.
const MAX_SHIPPING_FEE: Fen = Fen(100_000);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    /// In fen.
    #[schema(value_type = i64)]
    pub shipping_fee: Fen,
    /// The same in 元, as a form shows it: `10.00`.
    pub shipping_fee_yuan: String,
    #[schema(value_type = i64)]
    pub default_shipping_fee: Fen,
    pub shipping_fee_source: Source,
    /// 初审 is due this many working days after it starts.
    pub review_sla_days: u32,
    pub default_review_sla_days: u32,
    pub review_sla_source: Source,
}

/// Both settings, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SettingsInput {
    /// 元, with at most two decimals: `10`, `12.50`.
    pub shipping_fee: String,
    /// Whole working days, 0 to 60.
    pub review_sla_days: String,
}

impl From<&SettingsView> for SettingsInput {
    fn from(v: &SettingsView) -> Self {
        SettingsInput {
            shipping_fee: v.shipping_fee_yuan.clone(),
            review_sla_days: v.review_sla_days.to_string(),
        }
    }
}

pub async fn settings(app: &App, actor: &Actor) -> Result<SettingsView, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    let fee_set = store::settings::get(&mut conn, SHIPPING_FEE_KEY)
        .await?
        .is_some_and(|v| v.parse::<i64>().is_ok_and(|v| v >= 0));
    let sla_set = store::settings::get(&mut conn, REVIEW_SLA_KEY)
        .await?
        .is_some_and(|v| v.parse::<u32>().is_ok());
    let shipping_fee = crate::config::shipping_fee(&mut conn).await?;
    Ok(SettingsView {
        shipping_fee,
        shipping_fee_yuan: shipping_fee.yuan_string(),
        default_shipping_fee: DEFAULT_SHIPPING_FEE,
        shipping_fee_source: Source::of(fee_set),
        review_sla_days: crate::config::review_sla_days(&mut conn).await?,
        default_review_sla_days: DEFAULT_REVIEW_SLA_DAYS,
        review_sla_source: Source::of(sla_set),
    })
}

pub async fn update_settings(app: &App, actor: &Actor, input: &SettingsInput) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let fee = errors.check("shipping_fee", Fen::parse_yuan(&input.shipping_fee));
    if fee.is_some_and(|f| f > MAX_SHIPPING_FEE) {
        errors.add("shipping_fee", "config.error.shipping_fee_too_large");
    }
    let days = match input.review_sla_days.trim().parse::<u32>() {
        Ok(d) if d <= MAX_SLA_DAYS => Some(d),
        _ => {
            errors.add("review_sla_days", "config.error.sla_days");
            None
        }
    };
    let (fee, days) = parsed(errors, fee.zip(days))?;
    let mut tx = app.store.begin().await?;
    store::settings::set(&mut tx, SHIPPING_FEE_KEY, &fee.0.to_string()).await?;
    store::settings::set(&mut tx, REVIEW_SLA_KEY, &days.to_string()).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.settings.set",
        "config:settings",
        &format!("shipping_fee {} fen, review_sla {days} working days", fee.0),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Back to the shipped default: `name` is `shipping_fee` or `review_sla_days`.
pub async fn reset_setting(app: &App, actor: &Actor, name: &str) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let key = match name {
        "shipping_fee" => SHIPPING_FEE_KEY,
        "review_sla_days" => REVIEW_SLA_KEY,
        _ => return Err(Error::NotFound),
    };
    let mut tx = app.store.begin().await?;
    store::settings::delete(&mut tx, key).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.settings.reset",
        "config:settings",
        name,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
