//! Leases for jobs that one instance at a time runs (payment reconciliation): a row per
//! job, taken when free or run out, by a conditional upsert the database decides.

use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::{StoreError, micros};

/// Takes the lease on `name` for `holder` until `until`, if nobody holds it past `now`
/// (or `holder` holds it already). Returns whether it was taken.
pub async fn acquire(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE job_leases.expires_at <= $4 OR job_leases.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(micros(until))
    .bind(micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back, if `holder` still has it.
pub async fn release(conn: &mut AnyConnection, name: &str, holder: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE job_leases SET expires_at = 0 WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(conn)
        .await?;
    Ok(())
}
