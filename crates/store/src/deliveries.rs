//! How a produced key reaches its applicant: by mail (carrier and tracking number) or at a
//! service point (a 领取码 typed by the operator at hand-over).

use domain::application::Delivery;
use domain::ids::{ApplicationId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub application_id: ApplicationId,
    pub method: Delivery,
    pub pickup_code: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    application_id: String,
    method: String,
    pickup_code: Option<String>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    shipped_at: Option<i64>,
    delivered_at: Option<i64>,
    created_at: i64,
}

/// Opens the delivery of a produced order. `pickup_code` for pickup only.
pub async fn insert(
    conn: &mut AnyConnection,
    application: ApplicationId,
    method: Delivery,
    pickup_code: Option<&str>,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deliveries (application_id, method, pickup_code, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(application.to_text())
    .bind(method.as_str())
    .bind(pickup_code)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<DeliveryRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT application_id, method, pickup_code, carrier, tracking_number, shipped_at, \
         delivered_at, created_at FROM deliveries WHERE application_id = $1",
    )
    .bind(application.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("delivery {}: {what}", r.application_id));
        Ok(DeliveryRecord {
            application_id: ApplicationId::parse(&r.application_id)
                .map_err(|_| corrupt("application"))?,
            method: Delivery::parse(&r.method).map_err(|_| corrupt("method"))?,
            pickup_code: r.pickup_code,
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            shipped_at: r.shipped_at.map(from_micros).transpose()?,
            delivered_at: r.delivered_at.map(from_micros).transpose()?,
            created_at: from_micros(r.created_at)?,
        })
    })
    .transpose()
}

/// The parcel left. False when it had already been shipped (or is not mailed).
pub async fn mark_shipped(
    conn: &mut AnyConnection,
    application: ApplicationId,
    carrier: &str,
    tracking_number: &str,
    by: UserId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE deliveries SET carrier = $2, tracking_number = $3, shipped_by = $4, shipped_at = $5 \
         WHERE application_id = $1 AND method = 'mail' AND shipped_at IS NULL",
    )
    .bind(application.to_text())
    .bind(carrier)
    .bind(tracking_number)
    .bind(by.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The key reached the applicant. False when that was recorded already.
pub async fn mark_delivered(
    conn: &mut AnyConnection,
    application: ApplicationId,
    by: UserId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE deliveries SET delivered_by = $2, delivered_at = $3 \
         WHERE application_id = $1 AND delivered_at IS NULL",
    )
    .bind(application.to_text())
    .bind(by.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
