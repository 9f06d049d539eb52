//! In-app notifications (the unread count in the header) and the e-mail outbox that
//! is written in the same transaction as the change that caused them.

use domain::ids::{ApplicationId, MailId, NotificationId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct Notification {
    pub id: NotificationId,
    pub application_id: Option<ApplicationId>,
    pub at: Timestamp,
    pub message_key: String,
    pub detail: String,
    pub read: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    application: Option<ApplicationId>,
    at: Timestamp,
    message_key: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notifications (id, user_id, application_id, at, message_key, detail, read_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(NotificationId::new().to_text())
    .bind(user.to_text())
    .bind(application.map(ApplicationId::to_text))
    .bind(micros(at))
    .bind(message_key)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn unread_count(conn: &mut AnyConnection, user: UserId) -> Result<u64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user.to_text())
            .fetch_one(conn)
            .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[derive(FromRow)]
struct Row {
    id: String,
    application_id: Option<String>,
    at: i64,
    message_key: String,
    detail: String,
    read_at: Option<i64>,
}

/// Newest first.
pub async fn recent(
    conn: &mut AnyConnection,
    user: UserId,
    limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, application_id, at, message_key, detail, read_at FROM notifications \
         WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT {limit}"
    ))
    .bind(user.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt = || StoreError::Corrupt(format!("notification {}", r.id));
            Ok(Notification {
                id: NotificationId::parse(&r.id).map_err(|_| corrupt())?,
                application_id: r
                    .application_id
                    .as_deref()
                    .map(ApplicationId::parse)
                    .transpose()
                    .map_err(|_| corrupt())?,
                at: from_micros(r.at)?,
                read: r.read_at.is_some(),
                message_key: r.message_key,
                detail: r.detail,
            })
        })
        .collect()
}

pub async fn mark_all_read(
    conn: &mut AnyConnection,
    user: UserId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
        .bind(user.to_text())
        .bind(micros(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Queues an e-mail; it is sent after the transaction commits, by the outbox sender.
pub async fn enqueue_mail(
    conn: &mut AnyConnection,
    at: Timestamp,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<MailId, StoreError> {
    let id = MailId::new();
    sqlx::query(
        "INSERT INTO mail_outbox (id, at, to_address, subject, body, status, attempts) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0)",
    )
    .bind(id.to_text())
    .bind(micros(at))
    .bind(to)
    .bind(subject)
    .bind(body)
    .execute(conn)
    .await?;
    Ok(id)
}
