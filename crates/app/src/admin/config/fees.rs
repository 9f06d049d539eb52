//! 收费标准: the price per certificate per year, by kind × certificate type × channel.

use domain::Fen;
use domain::application::{CertType, Channel, Kind};
use serde::{Deserialize, Serialize};

use super::{Source, audit, channel, kind_and_type, offered, parsed};
use crate::authz::{Action, authorize};
use crate::config::default_price;
use crate::{Actor, App, Error, FieldErrors};

/// The highest price accepted: 100,000 元 per certificate per year.
const MAX_PRICE: Fen = Fen(10_000_000);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeeRow {
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub cert_type: CertType,
    #[schema(value_type = String)]
    pub channel: Channel,
    /// In force, in fen.
    #[schema(value_type = i64)]
    pub price: Fen,
    /// The same in 元: `300.00`.
    pub price_yuan: String,
    #[schema(value_type = i64)]
    pub default_price: Fen,
    pub default_yuan: String,
    pub source: Source,
}

/// One price, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SetPriceInput {
    /// new | renew | replace | change | inspect | cancel
    pub kind: String,
    /// org_master | org_staff | personal | seal
    pub cert_type: String,
    /// online | onsite
    pub channel: String,
    /// 元 per certificate per year, at most two decimals: `300`, `299.90`.
    pub price: String,
}

/// Which price to reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FeeKeyInput {
    pub kind: String,
    pub cert_type: String,
    pub channel: String,
}

/// The whole schedule: every kind offered for each certificate type, on both channels.
pub async fn fees(app: &App, actor: &Actor) -> Result<Vec<FeeRow>, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    let configured = store::config::prices(&mut conn).await?;
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        for cert_type in CertType::ALL {
            if !offered(*kind, *cert_type) {
                continue;
            }
            for channel in Channel::ALL {
                let default = default_price(*kind, *cert_type, *channel);
                let set = configured
                    .iter()
                    .find(|(k, t, c, _)| (k, t, c) == (kind, cert_type, channel))
                    .map(|(.., p)| *p);
                let price = set.unwrap_or(default);
                rows.push(FeeRow {
                    kind: *kind,
                    cert_type: *cert_type,
                    channel: *channel,
                    price,
                    price_yuan: price.yuan_string(),
                    default_price: default,
                    default_yuan: default.yuan_string(),
                    source: Source::of(set.is_some()),
                });
            }
        }
    }
    Ok(rows)
}

fn key(
    errors: &mut FieldErrors,
    kind: &str,
    cert_type: &str,
    channel_text: &str,
) -> Option<(Kind, CertType, Channel)> {
    let pair = kind_and_type(errors, kind, cert_type);
    let ch = channel(errors, channel_text);
    Some((pair?.0, pair?.1, ch?))
}

fn subject(kind: Kind, cert_type: CertType, channel: Channel) -> String {
    format!("config:fee:{kind}:{cert_type}:{channel}")
}

pub async fn set_price(app: &App, actor: &Actor, input: &SetPriceInput) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let which = key(&mut errors, &input.kind, &input.cert_type, &input.channel);
    let price = errors.check("price", Fen::parse_yuan(&input.price));
    if price.is_some_and(|p| p > MAX_PRICE) {
        errors.add("price", "config.error.price_too_large");
    }
    let ((kind, cert_type, channel), price) = parsed(errors, which.zip(price))?;
    let mut tx = app.store.begin().await?;
    store::config::set_price(&mut tx, kind, cert_type, channel, price, app.now()).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.fee.set",
        &subject(kind, cert_type, channel),
        &format!("{} fen", price.0),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Back to the shipped price.
pub async fn reset_price(app: &App, actor: &Actor, input: &FeeKeyInput) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let which = key(&mut errors, &input.kind, &input.cert_type, &input.channel);
    let (kind, cert_type, channel) = parsed(errors, which)?;
    let mut tx = app.store.begin().await?;
    store::config::delete_price(&mut tx, kind, cert_type, channel).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.fee.reset",
        &subject(kind, cert_type, channel),
        &format!("{} fen", default_price(kind, cert_type, channel).0),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
