//! The e-mail outbox: the sender that delivers it over SMTP, and what admins read of it.
//!
//! Mails are queued by [`crate::notifications`] in the transaction of the change that
//! caused them. When SMTP is configured, `serve` runs [`run_sender`]; each round
//! claims due mails with a lease in the database (so several instances never send one
//! mail twice), sends them, and records the outcome: sent; failed for good when the
//! server refuses permanently or the attempts run out; otherwise retried later with a
//! growing backoff. Without SMTP the mails stay pending, and admins read them here.
//!
//! Logs carry mail ids and error kinds only: no addresses, subjects, bodies or replies.

use std::future::Future;
use std::time::Duration;

use domain::ids::MailId;
use jiff::{SignedDuration, Timestamp};
use mail::{MailError, Message, SmtpMailer};
use serde::Serialize;
use store::outbox::{ClaimRules, Claimed};

pub use store::outbox::MailStatus;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, random};

/// A mail is tried at most this many times.
pub const MAX_ATTEMPTS: u32 = 8;
/// Mails taken per round.
pub const BATCH: u32 = 20;
/// How long a claim holds. It must outlast a round: [`BATCH`] sends, each bounded by the
/// mailer's time-outs (connecting, then the exchange).
pub const LEASE: SignedDuration = SignedDuration::from_mins(15);
/// The wait before the first retry; it doubles with each further attempt.
pub const FIRST_BACKOFF: SignedDuration = SignedDuration::from_mins(1);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: SignedDuration = SignedDuration::from_hours(2);

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u32,
    /// Failed for now, to be tried again.
    pub retried: u32,
    /// Given up: refused for good, or out of attempts.
    pub failed: u32,
    /// The outcome could not be recorded: the lease ran out and another sender took
    /// the mail meanwhile.
    pub lost: u32,
}

impl Delivery {
    pub fn claimed(&self) -> u32 {
        self.sent + self.retried + self.failed + self.lost
    }
}

/// The wait after attempt number `attempts` (1 for the first) failed.
pub fn backoff(attempts: u32) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = FIRST_BACKOFF
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_BACKOFF);
    wait.min(MAX_BACKOFF)
}

/// Claims the due mails, sends them one by one, and records each outcome.
pub async fn deliver_due(app: &App, mailer: &SmtpMailer) -> Result<Delivery, Error> {
    let now = app.now();
    let token = random::token(&*app.random);
    let claimed = {
        let mut conn = app.store.conn().await?;
        store::outbox::claim_due(
            &mut conn,
            ClaimRules {
                now,
                lease_until: now + LEASE,
                limit: BATCH,
                max_attempts: MAX_ATTEMPTS,
            },
            &token,
        )
        .await?
    };
    let mut done = Delivery::default();
    // No connection is held while talking to the SMTP server.
    for mail in claimed {
        let result = mailer
            .send(&Message {
                to: mail.to_address.clone(),
                subject: mail.subject.clone(),
                body: mail.body.clone(),
            })
            .await;
        let outcome = record(app, &mail, result).await?;
        match outcome {
            Outcome::Sent => done.sent += 1,
            Outcome::Retried => done.retried += 1,
            Outcome::Failed => done.failed += 1,
            Outcome::Lost => done.lost += 1,
        }
    }
    Ok(done)
}

enum Outcome {
    Sent,
    Retried,
    Failed,
    Lost,
}

async fn record(
    app: &App,
    mail: &Claimed,
    result: Result<(), MailError>,
) -> Result<Outcome, Error> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let (recorded, outcome) = match result {
        Ok(()) => {
            let ok = store::outbox::mark_sent(&mut conn, mail, now).await?;
            if ok {
                tracing::info!(mail = %mail.id, attempts = mail.attempts, "mail sent");
            }
            (ok, Outcome::Sent)
        }
        Err(e) if e.is_permanent() => {
            tracing::warn!(mail = %mail.id, attempts = mail.attempts, kind = kind(&e), "mail refused for good");
            let ok = store::outbox::mark_failed(&mut conn, mail, &e.to_string()).await?;
            (ok, Outcome::Failed)
        }
        Err(e) if mail.attempts >= MAX_ATTEMPTS => {
            tracing::warn!(mail = %mail.id, attempts = mail.attempts, kind = kind(&e), "mail given up: out of attempts");
            let text = format!("gave up after {} attempts: {e}", mail.attempts);
            let ok = store::outbox::mark_failed(&mut conn, mail, &text).await?;
            (ok, Outcome::Failed)
        }
        Err(e) => {
            let wait = backoff(mail.attempts);
            tracing::info!(mail = %mail.id, attempts = mail.attempts, kind = kind(&e), retry_in_secs = wait.as_secs(), "mail not sent; will retry");
            let ok = store::outbox::reschedule(&mut conn, mail, now + wait, &e.to_string()).await?;
            (ok, Outcome::Retried)
        }
    };
    if recorded {
        Ok(outcome)
    } else {
        tracing::warn!(mail = %mail.id, "mail outcome not recorded: the lease ran out and another sender took it");
        Ok(Outcome::Lost)
    }
}

/// An error's kind for logs: server replies and address parse errors may quote addresses.
fn kind(e: &MailError) -> String {
    match e {
        MailError::InvalidAddress { role, .. } => format!("invalid {role} address"),
        MailError::Settings(_) => "settings".into(),
        MailError::Message(_) => "message".into(),
        MailError::Rejected { code, .. } => format!("rejected {code}"),
        MailError::Transport(_) => "transport".into(),
    }
}

/// Delivers the outbox every `every` until `shutdown` completes. A full round goes on
/// at once with the next batch; a round in progress is finished, not cut off.
pub async fn run_sender(
    app: App,
    mailer: SmtpMailer,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        loop {
            match deliver_due(&app, &mailer).await {
                Ok(d) if d.claimed() >= BATCH => continue,
                Ok(d) => {
                    if d.claimed() > 0 {
                        tracing::debug!(
                            sent = d.sent,
                            retried = d.retried,
                            failed = d.failed,
                            lost = d.lost,
                            "outbox round"
                        );
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed");
                    break;
                }
            }
        }
    }
    tracing::info!("outbox sender stopped");
}

/// One mail as admins read it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxMailView {
    #[schema(value_type = String)]
    pub id: MailId,
    /// When it was queued.
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: u32,
    /// While pending after a failed attempt: when it will be tried again.
    #[schema(value_type = Option<String>)]
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Timestamp>,
}

/// How many mails are in each status.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxList {
    pub counts: OutboxCounts,
    /// Newest first, at most [`LIST_LIMIT`].
    pub mails: Vec<OutboxMailView>,
}

pub const LIST_LIMIT: u32 = 200;

/// The outbox for admins: the newest mails, all or of one status (`pending`, `sent`,
/// `failed`; empty for all).
pub async fn list(app: &App, actor: &Actor, status: &str) -> Result<OutboxList, Error> {
    authorize(actor, Action::Configure)?;
    let status = match status.trim() {
        "" => None,
        s => Some(MailStatus::parse(s).ok_or(Error::field("status", "outbox.status_unknown"))?),
    };
    let mut conn = app.store.conn().await?;
    let [pending, sent, failed] = store::outbox::counts(&mut conn).await?;
    let mails = store::outbox::list_recent(&mut conn, status, LIST_LIMIT).await?;
    Ok(OutboxList {
        counts: OutboxCounts {
            pending,
            sent,
            failed,
        },
        mails: mails
            .into_iter()
            .map(|m| OutboxMailView {
                id: m.id,
                at: m.at,
                to: m.to_address,
                subject: m.subject,
                body: m.body,
                status: m.status.as_str().to_owned(),
                attempts: m.attempts,
                next_attempt_at: (m.status == MailStatus::Pending)
                    .then_some(m.lease_until)
                    .flatten(),
                last_error: m.last_error,
                sent_at: m.sent_at,
            })
            .collect(),
    })
}
