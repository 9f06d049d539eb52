//! Failed sign-ins, counted per login so that throttling holds across instances.

use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::{StoreError, from_micros, micros};

pub async fn record(
    conn: &mut AnyConnection,
    login: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sign_in_failures (login, failed_at) VALUES ($1, $2)")
        .bind(login)
        .bind(micros(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Failures for `login` since `since`, oldest first (at most `limit`).
pub async fn since(
    conn: &mut AnyConnection,
    login: &str,
    since: Timestamp,
    limit: i64,
) -> Result<Vec<Timestamp>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT failed_at FROM sign_in_failures WHERE login = $1 AND failed_at > $2 \
         ORDER BY failed_at DESC LIMIT $3",
    )
    .bind(login)
    .bind(micros(since))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut times = rows
        .into_iter()
        .map(|(t,)| from_micros(t))
        .collect::<Result<Vec<_>, _>>()?;
    times.reverse();
    Ok(times)
}

/// A successful sign-in clears the count.
pub async fn clear(conn: &mut AnyConnection, login: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE login = $1")
        .bind(login)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_before(conn: &mut AnyConnection, before: Timestamp) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= $1")
        .bind(micros(before))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
