//! Bulk inserts for benchmarks and load tests (feature `bulk`): many rows per
//! statement, as given. They bypass every rule of the app layer (no history, no
//! audit, no check that a status fits its procedure), so nothing in the product
//! calls them.
//!
//! Each call writes its rows in statements of up to [`MAX_ROWS`] rows and
//! [`MAX_PARAMS`] parameters. SQLite would take 32,766 per statement, but binding
//! numbered parameters costs time growing with their number squared there: 32,000
//! made seeding crawl (about 350 orders a second); 3,000 does not. The caller
//! decides the transaction.

use domain::account::Role;
use domain::ids::{AuthorityId, CertificateId, OrganisationId, UserId};
use domain::organisation::{MemberRole, OrgType};
use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::applications::ApplicationRecord;
use crate::{StoreError, flag, micros};

pub const MAX_PARAMS: usize = 3_000;
pub const MAX_ROWS: usize = 5_000;

pub struct UserRow {
    pub id: UserId,
    pub mobile: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: Timestamp,
}

pub struct OrganisationRow {
    pub id: OrganisationId,
    pub name: String,
    pub org_type: OrgType,
    pub credit_code: String,
    pub registration_authority: String,
    pub region: String,
    pub address: String,
    pub legal_representative: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

pub struct MembershipRow {
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    pub role: MemberRole,
    pub added_at: Timestamp,
}

pub struct IndividualRow {
    pub user_id: UserId,
    pub id_number: String,
    pub created_at: Timestamp,
}

enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bytes(Vec<u8>),
}

/// Inserts `rows` (each `columns.len()` values) in as few statements as the limits allow.
async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<u64, StoreError> {
    let width = columns.len();
    let per_statement = (MAX_PARAMS / width).clamp(1, MAX_ROWS);
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&(r * width + c + 1).to_string());
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            if row.len() != width {
                return Err(StoreError::Corrupt(format!(
                    "bulk insert into {table}: {} values for {width} columns",
                    row.len()
                )));
            }
            for v in row {
                query = match v {
                    Value::Text(t) => query.bind(t),
                    Value::OptText(t) => query.bind(t),
                    Value::Int(i) => query.bind(i),
                    Value::OptInt(i) => query.bind(i),
                    Value::Bytes(b) => query.bind(b),
                };
            }
        }
        inserted += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(inserted)
}

pub async fn users(conn: &mut AnyConnection, rows: &[UserRow]) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|u| {
            vec![
                Value::Text(u.id.to_text()),
                Value::Text(u.mobile.clone()),
                Value::Text(u.name.clone()),
                Value::Text(u.password_hash.clone()),
                Value::Text(u.role.as_str().to_owned()),
                Value::Int(0),
                Value::Int(micros(u.created_at)),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "users",
        &[
            "id",
            "mobile",
            "name",
            "password_hash",
            "role",
            "must_change_password",
            "created_at",
        ],
        values,
    )
    .await
}

pub async fn organisations(
    conn: &mut AnyConnection,
    rows: &[OrganisationRow],
) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|o| {
            vec![
                Value::Text(o.id.to_text()),
                Value::Text(o.name.clone()),
                Value::Text(o.org_type.as_str().to_owned()),
                Value::Text(o.credit_code.clone()),
                Value::Int(1),
                Value::Text(o.registration_authority.clone()),
                Value::Text(o.region.clone()),
                Value::Text(o.address.clone()),
                Value::Text(o.legal_representative.clone()),
                Value::Text(o.created_by.to_text()),
                Value::Int(micros(o.created_at)),
                Value::Int(micros(o.created_at)),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "organisations",
        &[
            "id",
            "name",
            "org_type",
            "credit_code",
            "has_uscc",
            "registration_authority",
            "region",
            "address",
            "legal_representative",
            "created_by",
            "created_at",
            "updated_at",
        ],
        values,
    )
    .await
}

pub async fn memberships(
    conn: &mut AnyConnection,
    rows: &[MembershipRow],
) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|m| {
            vec![
                Value::Text(m.organisation_id.to_text()),
                Value::Text(m.user_id.to_text()),
                Value::Text(m.role.as_str().to_owned()),
                Value::Text(m.user_id.to_text()),
                Value::Int(micros(m.added_at)),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "memberships",
        &["organisation_id", "user_id", "role", "added_by", "added_at"],
        values,
    )
    .await
}

pub async fn individuals(
    conn: &mut AnyConnection,
    rows: &[IndividualRow],
) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|i| {
            vec![
                Value::Text(i.user_id.to_text()),
                Value::Text(i.id_number.clone()),
                Value::Int(micros(i.created_at)),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "individuals",
        &["user_id", "id_number", "created_at"],
        values,
    )
    .await
}

/// Applications exactly as given, every column.
pub async fn applications(
    conn: &mut AnyConnection,
    rows: &[ApplicationRecord],
) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|a| {
            vec![
                Value::Text(a.id.to_text()),
                Value::Text(a.order_number.as_str().to_owned()),
                Value::OptText(a.organisation_id.map(OrganisationId::to_text)),
                Value::Text(a.applicant_id.to_text()),
                Value::Text(a.kind.as_str().to_owned()),
                Value::Text(a.cert_type.as_str().to_owned()),
                Value::Text(a.channel.as_str().to_owned()),
                Value::Text(a.procedure.clone()),
                Value::Text(a.position.clone()),
                Value::Int(a.step_index),
                Value::Text(a.status.as_str().to_owned()),
                Value::Text(a.delivery.as_str().to_owned()),
                Value::Int(a.amount),
                Value::Int(flag(a.paid)),
                Value::Int(flag(a.returned)),
                Value::Int(flag(a.shipped)),
                Value::Int(i64::from(a.quantity)),
                Value::Int(i64::from(a.years)),
                Value::Text(a.form.clone()),
                Value::OptText(a.quote.clone()),
                Value::OptInt(a.overdue_months),
                Value::OptInt(a.overdue_fee),
                Value::OptText(a.service_point_id.map(|s| s.to_text())),
                Value::Int(micros(a.created_at)),
                Value::Int(micros(a.updated_at)),
                Value::OptInt(a.submitted_at.map(micros)),
                Value::Int(micros(a.step_entered_at)),
                Value::OptText(a.due_on.clone()),
                Value::Int(a.version),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "applications",
        &[
            "id",
            "order_number",
            "organisation_id",
            "applicant_id",
            "kind",
            "cert_type",
            "channel",
            "procedure",
            "position",
            "step_index",
            "status",
            "delivery",
            "amount",
            "paid",
            "returned",
            "shipped",
            "quantity",
            "years",
            "form",
            "quote",
            "overdue_months",
            "overdue_fee",
            "service_point_id",
            "created_at",
            "updated_at",
            "submitted_at",
            "step_entered_at",
            "due_on",
            "version",
        ],
        values,
    )
    .await
}

/// A revoked certificate, for a CRL of a given length: only what a CRL entry needs is
/// real (serial, revocation time and reason); the DER is a placeholder.
pub struct RevokedCertificateRow {
    pub id: CertificateId,
    /// Upper-case hex, as `store::ca` keeps serials.
    pub serial: String,
    pub issuer_id: AuthorityId,
    pub subject: String,
    pub spki_sha256: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub revoked_at: Timestamp,
    /// The CRLReason name (`keyCompromise`, `superseded`, …).
    pub reason: String,
}

pub async fn revoked_certificates(
    conn: &mut AnyConnection,
    rows: &[RevokedCertificateRow],
) -> Result<u64, StoreError> {
    let values = rows
        .iter()
        .map(|c| {
            vec![
                Value::Text(c.id.to_text()),
                Value::Text(c.serial.clone()),
                Value::Text(c.issuer_id.to_text()),
                Value::Text("org_master".to_owned()),
                Value::Text(c.subject.clone()),
                Value::Text(String::new()),
                Value::Text(c.spki_sha256.clone()),
                Value::Int(micros(c.not_before)),
                Value::Int(micros(c.not_after)),
                Value::Bytes(vec![0x30, 0x00]),
                Value::Text("revoked".to_owned()),
                Value::Int(micros(c.revoked_at)),
                Value::Text(c.reason.clone()),
                Value::Int(micros(c.revoked_at)),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "certificates",
        &[
            "id",
            "serial",
            "issuer_id",
            "cert_type",
            "subject",
            "holder_name",
            "spki_sha256",
            "not_before",
            "not_after",
            "der",
            "status",
            "revoked_at",
            "revocation_reason",
            "created_at",
        ],
        values,
    )
    .await
}

/// Brings PostgreSQL to the state autovacuum reaches after a bulk load (visibility
/// map and planner statistics). SQLite is left as the product runs it: certdesk
/// never runs ANALYZE there, so the planner works without statistics.
pub async fn settle(store: &crate::Store) -> Result<(), StoreError> {
    if store.backend() == crate::Backend::Postgres {
        let mut conn = store.conn().await?;
        sqlx::query("VACUUM ANALYZE").execute(&mut *conn).await?;
    }
    Ok(())
}
