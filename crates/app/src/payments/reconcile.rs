//! Reconciliation: the background job that asks the providers about codes and refunds
//! left open, so that a lost notification still ends paid, an expired code is closed at
//! its provider (the order then gets a new one), and a refund cut off midway is asked
//! again. One instance at a time runs it, under a lease in the database.

use jiff::SignedDuration;
use pay::{ProviderError, TradeState};
use store::refunds::RefundStatus;

use super::settle::record_paid;
use crate::{App, Error};

/// The lease's name in `job_leases`.
pub const LEASE: &str = "payments.reconcile";

/// How often each instance tries; the lease is a little shorter, so one round per
/// period runs across all instances.
pub const EVERY: SignedDuration = SignedDuration::from_secs(60);
const LEASE_FOR: SignedDuration = SignedDuration::from_secs(55);

/// A code or refund younger than this is left to its notification.
const QUIET: SignedDuration = SignedDuration::from_secs(60);

/// At most this many codes and as many refunds per round.
const ROUND: i64 = 200;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// False when another instance holds the lease: nothing was done.
    pub ran: bool,
    /// Payments recorded that no notification had brought.
    pub paid: u32,
    /// Codes closed (expired, or closed at the provider).
    pub closed: u32,
    /// Refunds asked about, or asked for again.
    pub refunds: u32,
}

/// One round of reconciliation, if this instance gets the lease.
pub async fn reconcile(app: &App) -> Result<Reconciled, Error> {
    let now = app.now();
    {
        let mut conn = app.store.conn().await?;
        if !store::leases::acquire(&mut conn, LEASE, &app.instance, now, now + LEASE_FOR).await? {
            return Ok(Reconciled::default());
        }
    }
    let mut done = Reconciled {
        ran: true,
        ..Reconciled::default()
    };
    let pending = {
        let mut conn = app.store.conn().await?;
        store::payments::pending_before(&mut conn, now - QUIET, ROUND).await?
    };
    for p in pending {
        let Some(provider) = app.payments.get(&p.provider).cloned() else {
            continue;
        };
        let expired = p.expires_at.is_some_and(|end| end <= now);
        match provider.query(&p.out_trade_no).await {
            Ok(TradeState::Paid {
                transaction_id,
                amount,
            }) => match record_paid(app, &p, &transaction_id, amount).await {
                Ok(_) => done.paid += 1,
                Err(e) => {
                    tracing::warn!(payment = %p.id, error = %e, "reconciliation: payment not recorded")
                }
            },
            Ok(TradeState::NotPaid) if expired => {
                // Closed at the provider first, so it cannot be paid after we give up on it.
                match provider.close(&p.out_trade_no).await {
                    Ok(()) => {
                        let mut conn = app.store.conn().await?;
                        if store::payments::close_if_pending(&mut conn, p.id).await? {
                            done.closed += 1;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(payment = %p.id, error = %e, "reconciliation: closing an expired code failed")
                    }
                }
            }
            Ok(TradeState::Closed) => {
                let mut conn = app.store.conn().await?;
                if store::payments::close_if_pending(&mut conn, p.id).await? {
                    done.closed += 1;
                }
            }
            // Never opened at the provider (its request died midway): nobody can pay it.
            Err(ProviderError::UnknownTrade) if expired => {
                let mut conn = app.store.conn().await?;
                if store::payments::close_if_pending(&mut conn, p.id).await? {
                    done.closed += 1;
                }
            }
            Ok(_) | Err(ProviderError::UnknownTrade) => {}
            Err(e) => tracing::warn!(payment = %p.id, error = %e, "reconciliation: query failed"),
        }
    }
    let open = {
        let mut conn = app.store.conn().await?;
        store::refunds::open_before(&mut conn, now - QUIET, ROUND).await?
    };
    for r in open {
        let payment = {
            let mut conn = app.store.conn().await?;
            store::payments::get(&mut conn, r.payment_id).await?
        };
        let Some(payment) = payment else { continue };
        let Some(provider) = app.payments.get(&payment.provider).cloned() else {
            continue;
        };
        match r.status {
            // Not known to have reached the provider: asked again under the same number.
            RefundStatus::Requested => {
                super::refunds::ask(app, &r, &payment).await?;
                done.refunds += 1;
            }
            _ => match provider
                .query_refund(&payment.out_trade_no, &r.refund_no)
                .await
            {
                Ok(outcome) => {
                    super::refunds::apply(app, &r, &outcome).await?;
                    done.refunds += 1;
                }
                Err(e) => {
                    tracing::warn!(refund = %r.id, error = %e, "reconciliation: refund query failed")
                }
            },
        }
    }
    Ok(done)
}
