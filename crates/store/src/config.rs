//! Configuration admins edit: fees, procedures, required documents, service points,
//! linked platforms and calendar days. A missing row means "the shipped default",
//! which the app layer supplies.

use domain::Fen;
use domain::application::{CertType, Channel, DocumentKind, Kind};
use domain::ids::ServicePointId;
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros};

pub async fn price(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
    channel: Channel,
) -> Result<Option<Fen>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT price FROM fee_prices WHERE kind = $1 AND cert_type = $2 AND channel = $3",
    )
    .bind(kind.as_str())
    .bind(cert_type.as_str())
    .bind(channel.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(p,)| Fen(p)))
}

pub async fn procedure(
    conn: &mut AnyConnection,
    kind: Kind,
    channel: Channel,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT steps FROM procedures WHERE kind = $1 AND channel = $2")
            .bind(kind.as_str())
            .bind(channel.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(s,)| s))
}

/// The admin's list for a kind and certificate type, or `None` when it was never customised.
pub async fn requirements(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
) -> Result<Option<Vec<(DocumentKind, bool)>>, StoreError> {
    let set: Option<(i64,)> = sqlx::query_as(
        "SELECT updated_at FROM document_requirement_sets WHERE kind = $1 AND cert_type = $2",
    )
    .bind(kind.as_str())
    .bind(cert_type.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if set.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT document_kind, required FROM document_requirements \
         WHERE kind = $1 AND cert_type = $2 ORDER BY document_kind",
    )
    .bind(kind.as_str())
    .bind(cert_type.as_str())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, r)| {
            DocumentKind::parse(&d)
                .map(|d| (d, r != 0))
                .map_err(|_| StoreError::Corrupt(format!("document kind {d}")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Clone, Debug)]
pub struct ServicePoint {
    pub id: ServicePointId,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub phone: String,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct ServicePointRow {
    id: String,
    name: String,
    address: String,
    hours: String,
    phone: String,
    active: i64,
    created_at: i64,
}

impl TryFrom<ServicePointRow> for ServicePoint {
    type Error = StoreError;
    fn try_from(r: ServicePointRow) -> Result<Self, StoreError> {
        Ok(ServicePoint {
            id: ServicePointId::parse(&r.id)
                .map_err(|_| StoreError::Corrupt(format!("service point {}", r.id)))?,
            created_at: from_micros(r.created_at)?,
            active: r.active != 0,
            name: r.name,
            address: r.address,
            hours: r.hours,
            phone: r.phone,
        })
    }
}

pub async fn service_points(conn: &mut AnyConnection) -> Result<Vec<ServicePoint>, StoreError> {
    let rows: Vec<ServicePointRow> = sqlx::query_as(
        "SELECT id, name, address, hours, phone, active, created_at FROM service_points ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(ServicePoint::try_from).collect()
}

pub async fn service_point(
    conn: &mut AnyConnection,
    id: ServicePointId,
) -> Result<Option<ServicePoint>, StoreError> {
    let row: Option<ServicePointRow> = sqlx::query_as(
        "SELECT id, name, address, hours, phone, active, created_at FROM service_points WHERE id = $1",
    )
    .bind(id.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(ServicePoint::try_from).transpose()
}
