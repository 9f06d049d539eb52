//! Sign-in sessions, in the database so that several `serve` instances share them.
//! Only a hash of the token is stored.

use domain::ids::UserId;
use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::{StoreError, micros};

#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

pub async fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: UserId,
    csrf_token: &str,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user.to_text())
    .bind(csrf_token)
    .bind(micros(created_at))
    .bind(micros(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The live session with this token hash, if it has not expired at `now`.
pub async fn find_live(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<SessionRecord>, StoreError> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(micros(now))
    .fetch_optional(conn)
    .await?;
    row.map(|(user, csrf_token, expires)| {
        Ok(SessionRecord {
            user_id: UserId::parse(&user)
                .map_err(|e| StoreError::Corrupt(format!("session user: {e}")))?,
            csrf_token,
            expires_at: crate::from_micros(expires)?,
        })
    })
    .transpose()
}

pub async fn extend(
    conn: &mut AnyConnection,
    token_hash: &str,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(micros(expires_at))
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a person (password changed, removed from service).
pub async fn delete_for_user(conn: &mut AnyConnection, user: UserId) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_text())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_expired(conn: &mut AnyConnection, now: Timestamp) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(micros(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
