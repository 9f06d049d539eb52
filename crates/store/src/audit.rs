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

/// An audit entry to append with [`append_many`].
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Appends many audit entries with few statements.
pub async fn append_many(conn: &mut AnyConnection, entries: &[NewEntry]) -> Result<(), StoreError> {
    for chunk in entries.chunks(crate::MANY_ROWS) {
        let sql = format!(
            "INSERT INTO audit_log (id, at, actor_id, action, subject, detail) VALUES {}",
            crate::values_list(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(AuditId::new().to_text())
                .bind(micros(e.at))
                .bind(e.actor.map(UserId::to_text))
                .bind(e.action.as_str())
                .bind(e.subject.as_str())
                .bind(e.detail.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
