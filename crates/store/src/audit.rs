//! The audit log: who did what to which subject, when. Append-only.

use domain::ids::{AuditId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

pub async fn append(
    conn: &mut AnyConnection,
    at: Timestamp,
    actor: Option<UserId>,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(AuditId::new().to_text())
    .bind(micros(at))
    .bind(actor.map(UserId::to_text))
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    at: i64,
    actor_id: Option<String>,
    action: String,
    subject: String,
    detail: String,
}

/// The entries about one subject, oldest first.
pub async fn for_subject(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT at, actor_id, action, subject, detail FROM audit_log WHERE subject = $1 ORDER BY at, id",
    )
    .bind(subject)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditEntry {
                at: from_micros(r.at)?,
                actor_id: r
                    .actor_id
                    .map(|a| UserId::parse(&a))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("audit actor: {e}")))?,
                action: r.action,
                subject: r.subject,
                detail: r.detail,
            })
        })
        .collect()
}
