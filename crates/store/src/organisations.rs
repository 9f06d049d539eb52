//! Organisations (主体) and their profile.

use domain::ids::{OrganisationId, UserId};
use domain::organisation::{CreditCode, OrgType};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, flag, from_micros, micros};

/// The editable part of an organisation's profile.
pub struct Profile<'a> {
    pub name: &'a str,
    pub org_type: OrgType,
    pub registration_authority: &'a str,
    pub region: &'a str,
    pub address: &'a str,
    pub legal_representative: &'a str,
}

#[derive(Clone, Debug)]
pub struct OrganisationRecord {
    pub id: OrganisationId,
    pub name: String,
    pub org_type: OrgType,
    pub credit_code: CreditCode,
    pub registration_authority: String,
    pub region: String,
    pub address: String,
    pub legal_representative: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    name: String,
    org_type: String,
    credit_code: String,
    registration_authority: String,
    region: String,
    address: String,
    legal_representative: String,
    created_by: String,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "id, name, org_type, credit_code, registration_authority, region, address, \
                       legal_representative, created_by, created_at, updated_at";

impl TryFrom<Row> for OrganisationRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("organisation {}: {what}", r.id));
        Ok(OrganisationRecord {
            id: OrganisationId::parse(&r.id).map_err(|_| corrupt("id"))?,
            org_type: OrgType::parse(&r.org_type).map_err(|_| corrupt("org_type"))?,
            credit_code: CreditCode::parse_stored(&r.credit_code)
                .ok_or_else(|| corrupt("credit_code"))?,
            created_by: UserId::parse(&r.created_by).map_err(|_| corrupt("created_by"))?,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
            name: r.name,
            registration_authority: r.registration_authority,
            region: r.region,
            address: r.address,
            legal_representative: r.legal_representative,
        })
    }
}

pub async fn insert(
    conn: &mut AnyConnection,
    id: OrganisationId,
    code: &CreditCode,
    profile: &Profile<'_>,
    created_by: UserId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO organisations (id, name, org_type, credit_code, has_uscc, registration_authority, \
         region, address, legal_representative, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.to_text())
    .bind(profile.name)
    .bind(profile.org_type.as_str())
    .bind(code.as_str())
    .bind(flag(code.is_uscc()))
    .bind(profile.registration_authority)
    .bind(profile.region)
    .bind(profile.address)
    .bind(profile.legal_representative)
    .bind(created_by.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    id: OrganisationId,
) -> Result<Option<OrganisationRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id.to_text())
        .fetch_optional(conn)
        .await?;
    row.map(OrganisationRecord::try_from).transpose()
}

pub async fn find_by_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<OrganisationRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE credit_code = $1");
    let row: Option<Row> = sqlx::query_as(&sql).bind(code).fetch_optional(conn).await?;
    row.map(OrganisationRecord::try_from).transpose()
}

/// Organisations whose name or code contains `query` (staff search), newest first.
pub async fn search(
    conn: &mut AnyConnection,
    query: &str,
    limit: i64,
) -> Result<Vec<OrganisationRecord>, StoreError> {
    let pattern = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM organisations WHERE name LIKE $1 ESCAPE '\\' OR credit_code LIKE $1 ESCAPE '\\' \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(pattern)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(OrganisationRecord::try_from).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations")
        .fetch_one(conn)
        .await?;
    Ok(n.0)
}

pub async fn update_profile(
    conn: &mut AnyConnection,
    id: OrganisationId,
    profile: &Profile<'_>,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE organisations SET name = $1, org_type = $2, registration_authority = $3, region = $4, \
         address = $5, legal_representative = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(profile.name)
    .bind(profile.org_type.as_str())
    .bind(profile.registration_authority)
    .bind(profile.region)
    .bind(profile.address)
    .bind(profile.legal_representative)
    .bind(micros(at))
    .bind(id.to_text())
    .execute(conn)
    .await?;
    Ok(())
}
