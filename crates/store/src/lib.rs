//! certdesk's persistence. SQL lives here and only here, one module per aggregate.
//!
//! SQLite (the embedded default) and PostgreSQL run through one code path: sqlx's
//! `Any` driver with `$1` placeholders. Ids and text are TEXT; times are BIGINT
//! microseconds since the epoch (UTC); flags are BIGINT 0/1. Each backend has its
//! own migrations folder (`migrations/sqlite`, `migrations/postgres`).
//!
//! Repository functions take `&mut AnyConnection`, so the app layer decides what
//! runs in one transaction.

mod db;
mod error;

pub mod api_tokens;
pub mod applications;
pub mod audit;
pub mod bindings;
#[cfg(feature = "bulk")]
pub mod bulk;
pub mod ca;
pub mod certificates;
pub mod config;
pub mod deliveries;
pub mod documents;
pub mod events;
pub mod individuals;
pub mod invoices;
pub mod leases;
pub mod memberships;
pub mod notifications;
pub mod organisations;
pub mod outbox;
pub mod payment_alerts;
pub mod payments;
pub mod platform_keys;
pub mod refunds;
pub mod reminders;
pub mod sandbox;
pub mod sessions;
pub mod settings;
pub mod sign_in_failures;
pub mod users;

#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Backend, Store};
pub use error::{Conflict, StoreError};
pub use sqlx::AnyConnection;

/// A write transaction ([`Store::begin`]).
pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

use jiff::Timestamp;

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_micros(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(v).map_err(|e| StoreError::Corrupt(format!("timestamp {v}: {e}")))
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// `($1, …, $n), ($n+1, …)`: the VALUES of a multi-row INSERT of `rows` rows of `columns`.
pub(crate) fn values_list(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * columns + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits.
pub(crate) const MANY_ROWS: usize = 500;
