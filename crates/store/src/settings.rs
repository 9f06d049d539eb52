//! Small key-value settings that every instance must agree on.

use sqlx::AnyConnection;

use crate::StoreError;

pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Sets `key` only if it has no value yet; returns the value that holds afterwards,
/// so concurrent first starts agree on one.
pub async fn get_or_insert(
    conn: &mut AnyConnection,
    key: &str,
    value: &str,
) -> Result<String, StoreError> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    get(conn, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("setting {key} vanished")))
}

/// Sets `key` to `value`, replacing what it held.
pub async fn set(conn: &mut AnyConnection, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes `key`, so that its default holds again; whether it had a value.
pub async fn delete(conn: &mut AnyConnection, key: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
