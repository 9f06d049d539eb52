//! The configuration every application reads: fee schedule, procedures, required
//! documents, service points, SLA and calendar. Admins edit it (`admin::config`);
//! what they never touched comes from the shipped defaults here.

use domain::Fen;
use domain::application::{CertType, Channel, Kind, Procedure, Requirement, default_requirements};
use domain::calendar::WorkCalendar;
use store::AnyConnection;
use store::config::ServicePoint;

use crate::Error;

/// settings key: the shipping fee for 邮寄, in fen.
pub const SHIPPING_FEE_KEY: &str = "fees.shipping_fen";
/// settings key: working days a review may take before it is overdue.
pub const REVIEW_SLA_KEY: &str = "review.sla_working_days";

pub const DEFAULT_SHIPPING_FEE: Fen = Fen(1000);
pub const DEFAULT_REVIEW_SLA_DAYS: u32 = 3;

/// The shipped price per certificate per year, in fen, the same on both channels.
/// 注销 is free; 年检 is only for e-seals.
pub fn default_price(kind: Kind, cert_type: CertType, _channel: Channel) -> Fen {
    use CertType::*;
    use Kind::*;
    let yuan = match (kind, cert_type) {
        (New, OrgMaster) => 300,
        (New, OrgStaff) => 200,
        (New, Personal) => 100,
        (New, Seal) => 400,
        (Renew, OrgMaster) => 260,
        (Renew, OrgStaff) => 180,
        (Renew, Personal) => 90,
        (Renew, Seal) => 360,
        (Replace, OrgMaster | Seal) => 200,
        (Replace, OrgStaff) => 150,
        (Replace, Personal) => 80,
        (Change, OrgMaster | Seal) => 100,
        (Change, OrgStaff) => 80,
        (Change, Personal) => 50,
        (Inspect, Seal) => 200,
        (Inspect, _) | (Cancel, _) => 0,
    };
    Fen(yuan * 100)
}

pub async fn price(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
    channel: Channel,
) -> Result<Fen, Error> {
    Ok(store::config::price(conn, kind, cert_type, channel)
        .await?
        .unwrap_or_else(|| default_price(kind, cert_type, channel)))
}

pub async fn shipping_fee(conn: &mut AnyConnection) -> Result<Fen, Error> {
    Ok(store::settings::get(conn, SHIPPING_FEE_KEY)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .map_or(DEFAULT_SHIPPING_FEE, Fen))
}

pub async fn review_sla_days(conn: &mut AnyConnection) -> Result<u32, Error> {
    Ok(store::settings::get(conn, REVIEW_SLA_KEY)
        .await?
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(DEFAULT_REVIEW_SLA_DAYS))
}

/// The procedure new applications of this kind and channel follow. A stored procedure
/// that no longer parses (it is checked when saved) falls back to the default, loudly.
pub async fn procedure(
    conn: &mut AnyConnection,
    kind: Kind,
    channel: Channel,
) -> Result<Procedure, Error> {
    match store::config::procedure(conn, kind, channel).await? {
        None => Ok(Procedure::default_for(kind, channel)),
        Some(text) => Procedure::parse(kind, &text).or_else(|e| {
            tracing::error!(%kind, %channel, error = %e, "stored procedure is invalid; using the default");
            Ok(Procedure::default_for(kind, channel))
        }),
    }
}

pub async fn requirements(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
) -> Result<Vec<Requirement>, Error> {
    Ok(
        match store::config::requirements(conn, kind, cert_type).await? {
            None => default_requirements(kind, cert_type),
            Some(list) => list
                .into_iter()
                .map(|(document, required)| Requirement { document, required })
                .collect(),
        },
    )
}

pub async fn active_service_points(conn: &mut AnyConnection) -> Result<Vec<ServicePoint>, Error> {
    Ok(store::config::service_points(conn)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .collect())
}

/// The working-day calendar: the official tables, with the days admins entered lying
/// over them.
pub async fn calendar(conn: &mut AnyConnection) -> Result<WorkCalendar, Error> {
    let entered = store::config::calendar_days(conn).await?;
    Ok(WorkCalendar::official().with_entered(entered))
}
