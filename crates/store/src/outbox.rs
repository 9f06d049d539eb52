//! The e-mail outbox as the sender and the admins see it. Mails are written by
//! [`crate::notifications::enqueue_mail`] in the transaction that caused them.
//!
//! Several `serve` instances may send from one database: a sender takes a lease on
//! each mail with a conditional UPDATE (only a pending mail whose lease has run out
//! can be taken, and the database lets one UPDATE win), and records the outcome only
//! with the token of its claim. While a mail is pending, `lease_until` is also its
//! "not before": a retry waits out its backoff there.

use std::fmt;

use domain::ids::MailId;
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// Where a mail is. Stored as text with a CHECK constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Not sent yet: waiting for a sender, being sent, or waiting to be retried.
    Pending,
    Sent,
    /// Refused for good, or out of attempts.
    Failed,
}

impl MailStatus {
    pub const ALL: [MailStatus; 3] = [MailStatus::Pending, MailStatus::Sent, MailStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MailStatus> {
        MailStatus::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for MailStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mail a sender holds the lease on.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: MailId,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// The claim's token: the outcome is recorded only with it.
    pub token: String,
}

/// How to claim.
#[derive(Clone, Copy, Debug)]
pub struct ClaimRules {
    pub now: Timestamp,
    /// Until when the lease holds; past it, another sender may take the mail again.
    pub lease_until: Timestamp,
    pub limit: u32,
    /// A mail is taken at most this many times.
    pub max_attempts: u32,
}

#[derive(FromRow)]
struct ClaimedRow {
    id: String,
    to_address: String,
    subject: String,
    body: String,
    attempts: i64,
}

/// Takes up to `rules.limit` due mails, oldest first, for the holder of `token`
/// (unique per call). Each mail is taken by its own conditional UPDATE, so two
/// senders that read the same candidates take each mail once between them.
///
/// A mail that used its last attempt and whose lease ran out without an outcome
/// (its sender stopped mid-send) is marked failed here, not taken again.
pub async fn claim_due(
    conn: &mut AnyConnection,
    rules: ClaimRules,
    token: &str,
) -> Result<Vec<Claimed>, StoreError> {
    let now = micros(rules.now);
    let max = i64::from(rules.max_attempts);
    sqlx::query(
        "UPDATE mail_outbox SET status = 'failed', lease_until = NULL, lease_token = NULL, \
         last_error = 'abandoned: no outcome recorded for the last attempt' \
         WHERE status = 'pending' AND attempts >= $1 AND (lease_until IS NULL OR lease_until <= $2)",
    )
    .bind(max)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    let candidates: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM mail_outbox \
         WHERE status = 'pending' AND attempts < $1 AND (lease_until IS NULL OR lease_until <= $2) \
         ORDER BY at, id LIMIT {}",
        rules.limit
    ))
    .bind(max)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;

    let mut taken = 0;
    for (id,) in candidates {
        let done = sqlx::query(
            "UPDATE mail_outbox SET lease_until = $1, lease_token = $2, attempts = attempts + 1 \
             WHERE id = $3 AND status = 'pending' AND attempts < $4 \
             AND (lease_until IS NULL OR lease_until <= $5)",
        )
        .bind(micros(rules.lease_until))
        .bind(token)
        .bind(&id)
        .bind(max)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        taken += done.rows_affected();
    }
    if taken == 0 {
        return Ok(Vec::new());
    }

    let rows: Vec<ClaimedRow> = sqlx::query_as(
        "SELECT id, to_address, subject, body, attempts FROM mail_outbox \
         WHERE lease_token = $1 AND status = 'pending' ORDER BY at, id",
    )
    .bind(token)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Claimed {
                id: MailId::parse(&r.id)
                    .map_err(|_| StoreError::Corrupt(format!("mail {}", r.id)))?,
                to_address: r.to_address,
                subject: r.subject,
                body: r.body,
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                token: token.to_owned(),
            })
        })
        .collect()
}

/// Records that the server accepted the mail. False when the claim was lost (the
/// lease ran out and another sender took the mail).
pub async fn mark_sent(
    conn: &mut AnyConnection,
    mail: &Claimed,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $1, lease_until = NULL, \
         lease_token = NULL, last_error = NULL \
         WHERE id = $2 AND lease_token = $3 AND status = 'pending'",
    )
    .bind(micros(at))
    .bind(mail.id.to_text())
    .bind(&mail.token)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the mail up: refused for good, or out of attempts.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    mail: &Claimed,
    error: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = 'failed', lease_until = NULL, lease_token = NULL, \
         last_error = $1 WHERE id = $2 AND lease_token = $3 AND status = 'pending'",
    )
    .bind(error)
    .bind(mail.id.to_text())
    .bind(&mail.token)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Releases the claim; the mail is due again at `not_before`.
pub async fn reschedule(
    conn: &mut AnyConnection,
    mail: &Claimed,
    not_before: Timestamp,
    error: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET lease_until = $1, lease_token = NULL, last_error = $2 \
         WHERE id = $3 AND lease_token = $4 AND status = 'pending'",
    )
    .bind(micros(not_before))
    .bind(error)
    .bind(mail.id.to_text())
    .bind(&mail.token)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One mail as the admins' outbox page shows it.
#[derive(Clone, Debug)]
pub struct OutboxMail {
    pub id: MailId,
    pub at: Timestamp,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub status: MailStatus,
    pub attempts: u32,
    /// While pending: when it may be tried (again).
    pub lease_until: Option<Timestamp>,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    at: i64,
    to_address: String,
    subject: String,
    body: String,
    status: String,
    attempts: i64,
    lease_until: Option<i64>,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

/// Newest first; all statuses, or one.
pub async fn list_recent(
    conn: &mut AnyConnection,
    status: Option<MailStatus>,
    limit: u32,
) -> Result<Vec<OutboxMail>, StoreError> {
    let columns =
        "id, at, to_address, subject, body, status, attempts, lease_until, last_error, sent_at";
    let rows: Vec<Row> = match status {
        Some(s) => {
            sqlx::query_as(&format!(
                "SELECT {columns} FROM mail_outbox WHERE status = $1 \
                 ORDER BY at DESC, id DESC LIMIT {limit}"
            ))
            .bind(s.as_str())
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {columns} FROM mail_outbox ORDER BY at DESC, id DESC LIMIT {limit}"
            ))
            .fetch_all(conn)
            .await?
        }
    };
    rows.into_iter()
        .map(|r| {
            let corrupt = || StoreError::Corrupt(format!("mail {}", r.id));
            Ok(OutboxMail {
                id: MailId::parse(&r.id).map_err(|_| corrupt())?,
                at: from_micros(r.at)?,
                status: MailStatus::parse(&r.status).ok_or_else(corrupt)?,
                attempts: u32::try_from(r.attempts).map_err(|_| corrupt())?,
                lease_until: r.lease_until.map(from_micros).transpose()?,
                sent_at: r.sent_at.map(from_micros).transpose()?,
                to_address: r.to_address,
                subject: r.subject,
                body: r.body,
                last_error: r.last_error,
            })
        })
        .collect()
}

/// How many mails are in each status, in [`MailStatus::ALL`] order.
pub async fn counts(conn: &mut AnyConnection) -> Result<[u64; 3], StoreError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM mail_outbox GROUP BY status")
            .fetch_all(conn)
            .await?;
    let mut out = [0u64; 3];
    for (status, n) in rows {
        if let Some(i) = MailStatus::ALL.iter().position(|s| s.as_str() == status) {
            out[i] = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(out)
}
