//! The production writer: group commit. Productions arrive decided and signed
//! ([`super::produce`]); one task per instance takes whatever has queued up and records it
//! all in one transaction, so a burst of N productions costs one commit (one fsync), not N.
//! Each production's answer is sent only once its group is committed.
//!
//! A production refused inside the group (its order changed meanwhile, its key taken, its
//! old certificate revoked by someone else) leaves nothing written; a database failure fails
//! the group, and then each of its productions is tried once more on its own.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use domain::application::{Flow, Step, Transition};

use super::produce::{self, Work};
use crate::{App, Error};

/// The most productions recorded in one transaction.
const MAX_GROUP: usize = 512;
/// Productions waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<(), Error>>,
}

/// The handle the [`App`] keeps; the task starts with the first production.
#[derive(Clone, Default)]
pub(crate) struct Writer(Arc<OnceLock<mpsc::Sender<Job>>>);

/// Records `work` with its group; returns once committed (or refused).
pub(crate) async fn submit(app: &App, work: Work) -> Result<(), Error> {
    let sender = app.production.0.get_or_init(|| {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(app.clone(), rx));
        tx
    });
    let (reply, answer) = oneshot::channel();
    sender
        .send(Job { work, reply })
        .await
        .map_err(|_| Error::Internal("the production writer stopped".into()))?;
    answer
        .await
        .map_err(|_| Error::Internal("the production writer dropped a production".into()))?
}

async fn run(app: App, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut jobs, MAX_GROUP).await > 0 {
        let group = std::mem::take(&mut jobs);
        let works: Vec<&Work> = group.iter().map(|j| &j.work).collect();
        match write_group(&app, &works).await {
            Ok(answers) => {
                for (job, answer) in group.into_iter().zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) if group.len() == 1 => {
                tracing::error!(error = %e, "recording a production failed");
                for job in group {
                    let _ = job.reply.send(Err(Error::Internal(e.to_string())));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = group.len(), "a production group failed; recording each alone");
                for job in group {
                    let answer = match write_group(&app, &[&job.work]).await {
                        Ok(mut a) => a.pop().unwrap_or(Err(Error::Internal("no answer".into()))),
                        Err(e) => Err(e),
                    };
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// One transaction for the group: each production's answer, once committed.
async fn write_group(app: &App, works: &[&Work]) -> Result<Vec<Result<(), Error>>, Error> {
    let ca = app.require_ca()?.clone();
    let mut tx = app.store.begin().await?;
    // Every key of the group locked up front, sorted, so two groups (two instances) never
    // wait on each other in opposite orders.
    let mut keys: Vec<&str> = works
        .iter()
        .filter_map(|w| w.certificate.as_ref().map(|c| c.spki_sha256.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        store::ca::lock_key(&mut tx, key).await?;
    }
    // What the group's keys are certified for already, in one query; kept up to date as
    // the group certifies them.
    let spkis: Vec<&str> = works
        .iter()
        .filter_map(|w| w.certificate.as_ref().map(|c| c.spki_sha256.as_str()))
        .collect();
    let mut used = store::ca::key_uses(&mut tx, &spkis).await?;
    let mut pending = Pending::default();
    let mut answers = Vec::with_capacity(works.len());
    let mut revoked = Vec::new();
    for work in works {
        let simple = work.revoke.is_none()
            && !matches!(
                work.next.as_ref().and_then(Flow::step),
                Some(Step::Review(..))
            );
        let answer = if simple {
            // The common case: one conditional update now, the rest appended in bulk.
            if let Some(row) = &work.certificate {
                let u = used.get(&row.spki_sha256);
                if u.is_some_and(|u| u.compromised || u.subjects.iter().any(|s| *s != row.subject))
                {
                    answers.push(Err(Error::Refused("ca.key_in_use")));
                    continue;
                }
            }
            if !advance(app, &mut tx, work).await? {
                answers.push(Err(Error::Refused("application.changed_meanwhile")));
                continue;
            }
            pending.add(app, work);
            produce::open_delivery(app, &mut tx, work).await?;
            Ok(())
        } else {
            // A production that revokes writes twice conditionally: a savepoint takes back
            // the first write when the second is refused. What the group appended so far
            // is written first, so its checks see it.
            pending.flush(&mut tx).await?;
            let mut savepoint = store::Store::savepoint(&mut tx).await?;
            let answer = produce::write(app, &mut savepoint, work).await?;
            if answer.is_ok() {
                savepoint.commit().await.map_err(store::StoreError::from)?;
            } else {
                savepoint
                    .rollback()
                    .await
                    .map_err(store::StoreError::from)?;
            }
            if answer.is_ok()
                && let Some((serial, _)) = &work.revoke
            {
                revoked.push(serial.clone());
            }
            answer
        };
        if answer.is_ok()
            && let Some(row) = &work.certificate
        {
            let u = used.entry(row.spki_sha256.clone()).or_default();
            if !u.subjects.contains(&row.subject) {
                u.subjects.push(row.subject.clone());
            }
        }
        answers.push(answer);
    }
    pending.flush(&mut tx).await?;
    let published = if revoked.is_empty() {
        None
    } else {
        Some(crate::ca::crl::publish(&mut tx, &ca.issuing_id, &ca.issuing, app.now()).await?)
    };
    tx.commit().await.map_err(store::StoreError::from)?;
    if let Some(crl) = published {
        ca.install_crl(crl);
    }
    for serial in &revoked {
        if let Ok(s) = pki::Serial::from_hex(serial) {
            ca.cache.forget(s);
        }
        tracing::info!(serial = %serial, "certificate revoked by production");
    }
    for (work, answer) in works.iter().zip(&answers) {
        if let (Ok(()), Some(c)) = (answer, &work.certificate) {
            tracing::info!(certificate = %c.id, serial = %c.serial, application = %work.record.id, "certificate issued");
        }
    }
    Ok(answers)
}

/// Moves the order on (or, for one more certificate of several, raises its version) if
/// nobody changed it since production read it. False when somebody did.
async fn advance(app: &App, conn: &mut store::AnyConnection, work: &Work) -> Result<bool, Error> {
    let record = &work.record;
    let Some(next) = &work.next else {
        return Ok(store::applications::touch(conn, record.id, record.version, app.now()).await?);
    };
    let cols = super::columns(next);
    let step_changed = cols.step_index != record.step_index
        || cols.position != record.position
        || next.status() != record.status;
    let moved = store::applications::update_flow(
        conn,
        record.id,
        record.version,
        &store::applications::FlowUpdate {
            flow: &cols,
            at: app.now(),
            step_changed,
            due_on: None,
            quote: None,
            submitted: false,
            overdue: None,
        },
    )
    .await?;
    if moved {
        tracing::info!(application = %record.id, from = %record.status, to = %next.status(), transition = %Transition::Produced, "application moved");
    }
    Ok(moved)
}

/// What a group appends, written with a few multi-row statements: the certificates and
/// their audit entries; for each order that moved on, its 流程审批记录 entry, the
/// applicant's notification and e-mail (as `transition::commit` writes them one by one).
#[derive(Default)]
struct Pending<'a> {
    certificates: Vec<store::ca::NewCertificate>,
    audit: Vec<store::audit::NewEntry>,
    events: Vec<store::events::NewEvent<'a>>,
    notifications: Vec<store::notifications::NewNotification>,
    mails: Vec<store::notifications::NewMail>,
}

impl<'a> Pending<'a> {
    fn add(&mut self, app: &App, work: &'a Work) {
        if let Some(row) = &work.certificate {
            self.audit.push(store::audit::NewEntry {
                at: row.created_at,
                actor: work.actor.audit_id(),
                action: "certificate.issue".into(),
                subject: row.serial.clone(),
                detail: format!("id={} type={}", row.id, row.cert_type),
            });
            self.certificates.push(row.clone());
        }
        if let Some(next) = &work.next {
            let record = &work.record;
            self.events.push(store::events::NewEvent {
                application_id: record.id,
                at: app.now(),
                actor_id: work.actor.audit_id(),
                actor_name: work.actor.name.as_str(),
                transition: Transition::Produced,
                from_status: record.status,
                to_status: next.status(),
                comment: &work.comment,
            });
            if next.status() != record.status {
                let (n, mail) = crate::notifications::status_changed_rows(
                    app,
                    record,
                    next.status(),
                    &work.comment,
                    work.email.as_deref(),
                );
                self.notifications.push(n);
                self.mails.extend(mail);
            }
        }
    }

    async fn flush(&mut self, conn: &mut store::AnyConnection) -> Result<(), Error> {
        store::ca::insert_certificates(conn, &self.certificates).await?;
        store::audit::append_many(conn, &self.audit).await?;
        store::events::append_many(conn, &self.events).await?;
        store::notifications::insert_many(conn, &self.notifications).await?;
        store::notifications::enqueue_mail_many(conn, &self.mails).await?;
        *self = Pending::default();
        Ok(())
    }
}
