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

/// A notification to insert with [`insert_many`].
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub user: UserId,
    pub application: Option<ApplicationId>,
    pub at: Timestamp,
    pub message_key: String,
    pub detail: String,
}

/// An e-mail to queue with [`enqueue_mail_many`].
#[derive(Clone, Debug)]
pub struct NewMail {
    pub at: Timestamp,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Inserts many notifications with few statements.
pub async fn insert_many(
    conn: &mut AnyConnection,
    rows: &[NewNotification],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(crate::MANY_ROWS) {
        let sql = format!(
            "INSERT INTO notifications (id, user_id, application_id, at, message_key, detail) \
             VALUES {}",
            crate::values_list(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q
                .bind(NotificationId::new().to_text())
                .bind(n.user.to_text())
                .bind(n.application.map(ApplicationId::to_text))
                .bind(micros(n.at))
                .bind(n.message_key.as_str())
                .bind(n.detail.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Queues many e-mails with few statements.
pub async fn enqueue_mail_many(
    conn: &mut AnyConnection,
    mails: &[NewMail],
) -> Result<(), StoreError> {
    for chunk in mails.chunks(crate::MANY_ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let b = r * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, 'pending', 0)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO mail_outbox (id, at, to_address, subject, body, status, attempts) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(MailId::new().to_text())
                .bind(micros(m.at))
                .bind(m.to.as_str())
                .bind(m.subject.as_str())
                .bind(m.body.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
