//! Accounts: people who sign in, applicants and staff alike.

use domain::account::Role;
use domain::ident::{Email, Phone};
use domain::ids::UserId;
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, flag, from_micros, micros};

pub struct NewUser<'a> {
    pub id: UserId,
    pub mobile: &'a Phone,
    pub name: &'a str,
    pub email: Option<&'a Email>,
    pub password_hash: &'a str,
    pub role: Role,
    pub must_change_password: bool,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: UserId,
    pub mobile: Phone,
    pub name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: Role,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    mobile: String,
    name: String,
    email: Option<String>,
    password_hash: String,
    role: String,
    must_change_password: i64,
    disabled_at: Option<i64>,
    created_at: i64,
}

const COLUMNS: &str =
    "id, mobile, name, email, password_hash, role, must_change_password, disabled_at, created_at";

impl TryFrom<Row> for UserRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: UserId::parse(&r.id).map_err(|e| StoreError::Corrupt(format!("user id: {e}")))?,
            mobile: Phone::parse(&r.mobile)
                .map_err(|e| StoreError::Corrupt(format!("user {} mobile: {e}", r.id)))?,
            name: r.name,
            email: r.email,
            password_hash: r.password_hash,
            role: Role::parse(&r.role)
                .map_err(|e| StoreError::Corrupt(format!("user {} role: {e}", r.id)))?,
            must_change_password: r.must_change_password != 0,
            disabled: r.disabled_at.is_some(),
            created_at: from_micros(r.created_at)?,
        })
    }
}

pub async fn insert(conn: &mut AnyConnection, u: &NewUser<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, mobile, name, email, password_hash, role, must_change_password, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(u.id.to_text())
    .bind(u.mobile.as_str())
    .bind(u.name)
    .bind(u.email.map(|e| e.as_str().to_owned()))
    .bind(u.password_hash)
    .bind(u.role.as_str())
    .bind(flag(u.must_change_password))
    .bind(micros(u.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut AnyConnection, id: UserId) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id.to_text())
        .fetch_optional(conn)
        .await?;
    row.map(UserRecord::try_from).transpose()
}

pub async fn find_by_mobile(
    conn: &mut AnyConnection,
    mobile: &Phone,
) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE mobile = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(mobile.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(UserRecord::try_from).transpose()
}

/// All accounts, newest first; optionally only those of one role.
pub async fn list(
    conn: &mut AnyConnection,
    role: Option<Role>,
    limit: i64,
) -> Result<Vec<UserRecord>, StoreError> {
    let rows: Vec<Row> = match role {
        Some(role) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM users WHERE role = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            );
            sqlx::query_as(&sql)
                .bind(role.as_str())
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        None => {
            let sql =
                format!("SELECT {COLUMNS} FROM users ORDER BY created_at DESC, id DESC LIMIT $1");
            sqlx::query_as(&sql).bind(limit).fetch_all(conn).await?
        }
    };
    rows.into_iter().map(UserRecord::try_from).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?;
    Ok(n.0)
}

pub async fn count_by_role(conn: &mut AnyConnection) -> Result<Vec<(Role, i64)>, StoreError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT role, COUNT(*) FROM users GROUP BY role ORDER BY role")
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(r, n)| {
            Role::parse(&r)
                .map(|r| (r, n))
                .map_err(|e| StoreError::Corrupt(format!("role {r}: {e}")))
        })
        .collect()
}

pub async fn set_password(
    conn: &mut AnyConnection,
    id: UserId,
    password_hash: &str,
    must_change_password: bool,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(flag(must_change_password))
        .bind(id.to_text())
        .execute(conn)
        .await?;
    Ok(())
}
