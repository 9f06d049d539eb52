//! Keeping the in-memory CA in step with the database: what other instances did (a
//! revocation publishes a CRL with a higher number; each instance polls that number), and
//! the periodic work (a fresh CRL daily, a new OCSP responder certificate before the old
//! one ends).

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;

use super::init::{CaNames, issue_responder};
use super::ocsp::CurrentResponder;
use super::{crl, read, write};
use crate::{App, Error};

/// A responder certificate with less than this left is replaced.
pub const RESPONDER_RENEW_BEFORE: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Takes in the newest CRL if another instance published one, and then drops every cached
/// OCSP answer (the next request about each certificate reads its status again).
/// True when something changed.
pub async fn poll(app: &App) -> Result<bool, Error> {
    let Some(ca) = app.ca() else {
        return Ok(false);
    };
    let mut conn = app.store.conn().await?;
    let revision = store::ca::crl_revision(&mut conn, ca.issuing_id).await?;
    if revision <= ca.revision() {
        return Ok(false);
    }
    let Some(latest) = store::ca::latest_crl(&mut conn, ca.issuing_id).await? else {
        return Ok(false);
    };
    drop(conn);
    ca.install_crl(latest.into());
    ca.cache.clear();
    tracing::debug!(revision, "CA revision taken in");
    Ok(true)
}

/// Polls every `every` (about a second) for as long as the app runs.
pub async fn watch(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = poll(&app).await {
            tracing::warn!(error = %e, "CA revision poll failed");
        }
    }
}

/// What [`maintain`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Maintained {
    /// The number of a CRL published because the last one was a day old.
    pub crl: Option<u64>,
    pub responder_renewed: bool,
}

/// The CA's periodic work, run by housekeeping. Idempotent enough for several instances:
/// at worst two publish a CRL each, or two responder certificates are made.
pub async fn maintain(app: &App) -> Result<Maintained, Error> {
    let Some(ca) = app.ca().cloned() else {
        return Ok(Maintained::default());
    };
    let now = app.now();
    let mut done = Maintained::default();
    if ca.crl().this_update.duration_until(now) >= crl::CRL_REFRESH {
        let mut tx = app.store.begin().await?;
        let published = crl::publish(&mut tx, &ca.issuing_id, &ca.issuing, now).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        done.crl = Some(published.number);
        ca.install_crl(published);
    }

    // The responder: another instance's newer one, or a new one when ours runs out.
    let current = read(&ca.responder);
    let stored = {
        let mut conn = app.store.conn().await?;
        store::ca::current_responder(&mut conn, ca.issuing_id, now).await?
    };
    match stored {
        Some(s) if s.id != current.id && s.not_after > current.not_after => {
            let keys = ca.keys.clone();
            let key = tokio::task::spawn_blocking(move || keys.open(&s.key).map(|k| (k, s)))
                .await
                .map_err(|e| Error::Internal(format!("responder key task: {e}")))?
                .map_err(|e| Error::Internal(format!("responder key: {e}")))?;
            let (signer, s) = key;
            let responder = pki::ocsp::Responder::new(&s.certificate, signer)
                .map_err(|e| Error::Internal(format!("responder: {e}")))?;
            write(
                &ca.responder,
                Arc::new(CurrentResponder {
                    id: s.id,
                    responder,
                    not_after: s.not_after,
                }),
            );
            ca.cache.clear();
        }
        _ if now.duration_until(current.not_after) < RESPONDER_RENEW_BEFORE => {
            let (keys, issuing, issuing_id) = (ca.keys.clone(), ca.issuing.clone(), ca.issuing_id);
            let (record, signer) = tokio::task::spawn_blocking(move || {
                let names = CaNames::default();
                let name = pki::DistinguishedName::new()
                    .country(names.country)
                    .organisation(names.organisation)
                    .common_name(names.ocsp_common_name);
                issue_responder(&keys, &issuing, issuing_id, &name, now)
            })
            .await
            .map_err(|e| Error::Internal(format!("responder task: {e}")))??;
            let mut tx = app.store.begin().await?;
            store::ca::insert_authority(&mut tx, &record).await?;
            store::audit::append(
                &mut tx,
                now,
                None,
                "ca.ocsp_responder",
                &record.id.to_text(),
                "renewed",
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            let responder = pki::ocsp::Responder::new(&record.certificate, signer)
                .map_err(|e| Error::Internal(format!("responder: {e}")))?;
            write(
                &ca.responder,
                Arc::new(CurrentResponder {
                    id: record.id,
                    responder,
                    not_after: record.not_after,
                }),
            );
            ca.cache.clear();
            done.responder_renewed = true;
        }
        _ => {}
    }
    Ok(done)
}
