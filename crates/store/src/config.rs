//! Configuration admins edit: fees, procedures, required documents, service points,
//! linked platforms and calendar days. A missing row means "the shipped default",
//! which the app layer supplies.

use domain::Fen;
use domain::application::{CertType, Channel, DocumentKind, Kind};
use domain::calendar::CalendarDay;
use domain::ids::{PlatformId, ServicePointId};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, flag, from_micros, micros};

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

// ---- writes (the admin's desk) ----

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

/// Every price an admin has set, in no particular order.
pub async fn prices(
    conn: &mut AnyConnection,
) -> Result<Vec<(Kind, CertType, Channel, Fen)>, StoreError> {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT kind, cert_type, channel, price FROM fee_prices")
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(k, t, c, p)| {
            Ok((
                Kind::parse(&k).map_err(|_| corrupt("kind", &k))?,
                CertType::parse(&t).map_err(|_| corrupt("cert type", &t))?,
                Channel::parse(&c).map_err(|_| corrupt("channel", &c))?,
                Fen(p),
            ))
        })
        .collect()
}

pub async fn set_price(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
    channel: Channel,
    price: Fen,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO fee_prices (kind, cert_type, channel, price, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kind, cert_type, channel) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at",
    )
    .bind(kind.as_str())
    .bind(cert_type.as_str())
    .bind(channel.as_str())
    .bind(price.0)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a configured price, so the shipped default holds; whether there was one.
pub async fn delete_price(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
    channel: Channel,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM fee_prices WHERE kind = $1 AND cert_type = $2 AND channel = $3")
            .bind(kind.as_str())
            .bind(cert_type.as_str())
            .bind(channel.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Stores the steps (already checked by `Procedure::parse`) for a kind and channel.
pub async fn set_procedure(
    conn: &mut AnyConnection,
    kind: Kind,
    channel: Channel,
    steps: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO procedures (kind, channel, steps, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, channel) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at",
    )
    .bind(kind.as_str())
    .bind(channel.as_str())
    .bind(steps)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_procedure(
    conn: &mut AnyConnection,
    kind: Kind,
    channel: Channel,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM procedures WHERE kind = $1 AND channel = $2")
        .bind(kind.as_str())
        .bind(channel.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces the documents of a kind and certificate type with `list` (which may be
/// empty: then nothing is asked for). Run it in a transaction.
pub async fn set_requirements(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
    list: &[(DocumentKind, bool)],
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO document_requirement_sets (kind, cert_type, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, cert_type) DO UPDATE SET updated_at = excluded.updated_at",
    )
    .bind(kind.as_str())
    .bind(cert_type.as_str())
    .bind(micros(at))
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM document_requirements WHERE kind = $1 AND cert_type = $2")
        .bind(kind.as_str())
        .bind(cert_type.as_str())
        .execute(&mut *conn)
        .await?;
    for (document, required) in list {
        sqlx::query(
            "INSERT INTO document_requirements (kind, cert_type, document_kind, required) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(kind.as_str())
        .bind(cert_type.as_str())
        .bind(document.as_str())
        .bind(flag(*required))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Forgets the admin's list for a kind and certificate type: the defaults hold again.
pub async fn delete_requirements(
    conn: &mut AnyConnection,
    kind: Kind,
    cert_type: CertType,
) -> Result<bool, StoreError> {
    sqlx::query("DELETE FROM document_requirements WHERE kind = $1 AND cert_type = $2")
        .bind(kind.as_str())
        .bind(cert_type.as_str())
        .execute(&mut *conn)
        .await?;
    let done =
        sqlx::query("DELETE FROM document_requirement_sets WHERE kind = $1 AND cert_type = $2")
            .bind(kind.as_str())
            .bind(cert_type.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// A service point's fields as written by an admin.
pub struct ServicePointFields<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub hours: &'a str,
    pub phone: &'a str,
    pub active: bool,
}

pub async fn insert_service_point(
    conn: &mut AnyConnection,
    id: ServicePointId,
    fields: &ServicePointFields<'_>,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO service_points (id, name, address, hours, phone, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_text())
    .bind(fields.name)
    .bind(fields.address)
    .bind(fields.hours)
    .bind(fields.phone)
    .bind(flag(fields.active))
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the service point exists (and was updated).
pub async fn update_service_point(
    conn: &mut AnyConnection,
    id: ServicePointId,
    fields: &ServicePointFields<'_>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE service_points SET name = $2, address = $3, hours = $4, phone = $5, active = $6 \
         WHERE id = $1",
    )
    .bind(id.to_text())
    .bind(fields.name)
    .bind(fields.address)
    .bind(fields.hours)
    .bind(fields.phone)
    .bind(flag(fields.active))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Closes a service point to new applications; applications that chose it keep it.
pub async fn deactivate_service_point(
    conn: &mut AnyConnection,
    id: ServicePointId,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE service_points SET active = 0 WHERE id = $1")
        .bind(id.to_text())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A trading platform where certificates are registered (关联平台).
#[derive(Clone, Debug)]
pub struct LinkedPlatform {
    pub id: PlatformId,
    pub name: String,
    pub url: String,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct PlatformRow {
    id: String,
    name: String,
    url: String,
    active: i64,
    created_at: i64,
}

impl TryFrom<PlatformRow> for LinkedPlatform {
    type Error = StoreError;
    fn try_from(r: PlatformRow) -> Result<Self, StoreError> {
        Ok(LinkedPlatform {
            id: PlatformId::parse(&r.id).map_err(|_| corrupt("platform", &r.id))?,
            created_at: from_micros(r.created_at)?,
            active: r.active != 0,
            name: r.name,
            url: r.url,
        })
    }
}

pub async fn linked_platforms(conn: &mut AnyConnection) -> Result<Vec<LinkedPlatform>, StoreError> {
    let rows: Vec<PlatformRow> = sqlx::query_as(
        "SELECT id, name, url, active, created_at FROM linked_platforms ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(LinkedPlatform::try_from).collect()
}

pub async fn linked_platform(
    conn: &mut AnyConnection,
    id: PlatformId,
) -> Result<Option<LinkedPlatform>, StoreError> {
    let row: Option<PlatformRow> = sqlx::query_as(
        "SELECT id, name, url, active, created_at FROM linked_platforms WHERE id = $1",
    )
    .bind(id.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(LinkedPlatform::try_from).transpose()
}

pub async fn insert_linked_platform(
    conn: &mut AnyConnection,
    id: PlatformId,
    name: &str,
    url: &str,
    active: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO linked_platforms (id, name, url, active, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.to_text())
    .bind(name)
    .bind(url)
    .bind(flag(active))
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the platform exists (and was updated).
pub async fn update_linked_platform(
    conn: &mut AnyConnection,
    id: PlatformId,
    name: &str,
    url: &str,
    active: bool,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE linked_platforms SET name = $2, url = $3, active = $4 WHERE id = $1")
            .bind(id.to_text())
            .bind(name)
            .bind(url)
            .bind(flag(active))
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

fn calendar_day((day, working, name): (String, i64, String)) -> Result<CalendarDay, StoreError> {
    Ok(CalendarDay {
        date: day
            .parse::<Date>()
            .map_err(|_| corrupt("calendar day", &day))?,
        working: working != 0,
        name,
    })
}

/// Every day admins entered, in date order.
pub async fn calendar_days(conn: &mut AnyConnection) -> Result<Vec<CalendarDay>, StoreError> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT day, working, name FROM calendar_days ORDER BY day")
            .fetch_all(conn)
            .await?;
    rows.into_iter().map(calendar_day).collect()
}

/// Enters (or changes) the day `day.date`.
pub async fn set_calendar_day(
    conn: &mut AnyConnection,
    day: &CalendarDay,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO calendar_days (day, working, name) VALUES ($1, $2, $3) \
         ON CONFLICT (day) DO UPDATE SET working = excluded.working, name = excluded.name",
    )
    .bind(day.date.to_string())
    .bind(flag(day.working))
    .bind(&day.name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an entered day: the official table (or Monday to Friday) decides it again.
pub async fn delete_calendar_day(conn: &mut AnyConnection, date: Date) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(date.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
