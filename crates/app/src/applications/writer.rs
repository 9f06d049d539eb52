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
    let mut answers = Vec::with_capacity(works.len());
    let mut revoked = Vec::new();
    for work in works {
        // Only a production that revokes writes twice conditionally; it alone needs a
        // savepoint to take back the first write when the second is refused.
        let answer = if work.revoke.is_some() {
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
            answer
        } else {
            produce::write(app, &mut tx, work).await?
        };
        if answer.is_ok()
            && let Some((serial, _)) = &work.revoke
        {
            revoked.push(serial.clone());
        }
        answers.push(answer);
    }
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
