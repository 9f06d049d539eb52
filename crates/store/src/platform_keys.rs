//! The API keys of linked platforms (关联平台, 互联互通). Only a key's SHA-256 is kept;
//! at most one key per platform is in force (partial unique index), and a revoked key's
//! row stays.

use domain::ids::{PlatformId, PlatformKeyId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// A key in force, as admins see it (never the key itself).
#[derive(Clone, Debug)]
pub struct PlatformKey {
    pub id: PlatformKeyId,
    pub platform_id: PlatformId,
    /// The key's first characters.
    pub hint: String,
    pub created_at: Timestamp,
}

/// Holds the platform's row until the transaction ends, so two admins regenerating its
/// key at once take turns (PostgreSQL row lock; SQLite write transactions are one at a
/// time anyway). False when there is no such platform.
pub async fn lock_platform(conn: &mut AnyConnection, id: PlatformId) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE linked_platforms SET active = active WHERE id = $1")
        .bind(id.to_text())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes the platform's key in force, if any. True when one was revoked.
pub async fn revoke(
    conn: &mut AnyConnection,
    platform: PlatformId,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE platform_keys SET revoked_at = $2, revoked_by = $3 \
         WHERE platform_id = $1 AND revoked_at IS NULL",
    )
    .bind(platform.to_text())
    .bind(micros(at))
    .bind(by.map(UserId::to_text))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a new key (its hex SHA-256) for the platform. Revoke the old one first.
pub async fn insert(
    conn: &mut AnyConnection,
    key: &PlatformKey,
    key_sha256: &str,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO platform_keys (id, platform_id, key_sha256, key_hint, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.id.to_text())
    .bind(key.platform_id.to_text())
    .bind(key_sha256)
    .bind(&key.hint)
    .bind(micros(key.created_at))
    .bind(by.map(UserId::to_text))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct KeyRow {
    id: String,
    platform_id: String,
    key_hint: String,
    created_at: i64,
}

impl KeyRow {
    fn into_key(self) -> Result<PlatformKey, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("platform key {}", self.id));
        Ok(PlatformKey {
            id: PlatformKeyId::parse(&self.id).map_err(|_| corrupt())?,
            platform_id: PlatformId::parse(&self.platform_id).map_err(|_| corrupt())?,
            created_at: from_micros(self.created_at)?,
            hint: self.key_hint,
        })
    }
}

/// The platform's key in force, if any.
pub async fn in_force(
    conn: &mut AnyConnection,
    platform: PlatformId,
) -> Result<Option<PlatformKey>, StoreError> {
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT id, platform_id, key_hint, created_at FROM platform_keys \
         WHERE platform_id = $1 AND revoked_at IS NULL",
    )
    .bind(platform.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(KeyRow::into_key).transpose()
}

/// Who presents this key: the platform whose key in force has this hex SHA-256, with
/// whether the platform is active (listed).
pub async fn platform_by_key(
    conn: &mut AnyConnection,
    key_sha256: &str,
) -> Result<Option<(PlatformId, bool)>, StoreError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT p.id, p.active FROM platform_keys k JOIN linked_platforms p ON p.id = k.platform_id \
         WHERE k.key_sha256 = $1 AND k.revoked_at IS NULL",
    )
    .bind(key_sha256)
    .fetch_optional(conn)
    .await?;
    row.map(|(id, active)| {
        Ok((
            PlatformId::parse(&id).map_err(|_| StoreError::Corrupt(format!("platform {id}")))?,
            active != 0,
        ))
    })
    .transpose()
}
