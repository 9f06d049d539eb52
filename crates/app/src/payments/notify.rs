//! The providers' notifications (`POST /pay/notify/{provider}`): verified by the provider
//! (signature, freshness), then matched against the order. One that names another
//! merchant, another amount or no trade of ours is refused and flagged for finance; a
//! repeated one records nothing new. The answer is the one the provider expects.

use pay::{Ack, Notice, RefundOutcome, TradeState};
use store::payment_alerts::{AlertKind, NewAlert};

use super::settle::{Recorded, raise, record_paid};
use crate::{App, Error};

/// Handles one notification for the provider named `provider`. None when this
/// deployment has no such provider.
pub async fn notify(
    app: &App,
    provider: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Option<Ack> {
    let p = app.payments.get(provider)?.clone();
    let notice = match p.verify_notification(headers, body, app.now()) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(provider, error = %e, "payment notification refused");
            return Some(p.acknowledge(false));
        }
    };
    let accepted = match handle(app, p.as_ref(), notice).await {
        Ok(accepted) => accepted,
        Err(e) => {
            // The provider sends it again; reconciliation asks meanwhile.
            tracing::error!(provider, error = %e, "payment notification not handled");
            false
        }
    };
    Some(p.acknowledge(accepted))
}

/// Whether the notification was taken (the provider stops sending it).
async fn handle(app: &App, provider: &dyn pay::Provider, notice: Notice) -> Result<bool, Error> {
    match notice {
        Notice::Trade {
            out_trade_no,
            transaction_id,
            state,
            amount,
            merchant,
        } => {
            let payment = {
                let mut conn = app.store.conn().await?;
                store::payments::by_trade_no(&mut conn, &out_trade_no).await?
            };
            let Some(payment) = payment.filter(|p| p.provider == provider.name()) else {
                let mut conn = app.store.conn().await?;
                store::payment_alerts::raise(
                    &mut conn,
                    &NewAlert {
                        provider: provider.name(),
                        out_trade_no: &out_trade_no,
                        payment_id: None,
                        kind: AlertKind::UnknownTrade,
                        expected_amount: None,
                        notified_amount: Some(amount),
                        merchant: &merchant,
                        transaction_id: &transaction_id,
                        at: app.now(),
                    },
                )
                .await?;
                tracing::error!(
                    provider = provider.name(),
                    "notification for a trade we did not open; flagged"
                );
                return Ok(false);
            };
            if merchant != provider.merchant() {
                raise(
                    app,
                    &payment,
                    AlertKind::MerchantMismatch,
                    Some(amount),
                    &merchant,
                    &transaction_id,
                )
                .await?;
                tracing::error!(payment = %payment.id, "notification names another merchant; flagged");
                return Ok(false);
            }
            match state {
                TradeState::Paid {
                    transaction_id,
                    amount,
                } => match record_paid(app, &payment, &transaction_id, amount).await {
                    Ok(Recorded::Paid | Recorded::Already | Recorded::Refunding) => Ok(true),
                    Err(Error::Refused("payment.amount_mismatch")) => Ok(false),
                    Err(e) => Err(e),
                },
                // Nothing to record: a closed or unpaid trade stays as it is here, and
                // reconciliation closes our side of it.
                TradeState::NotPaid | TradeState::Closed | TradeState::Refunded => Ok(true),
            }
        }
        Notice::Refund {
            refund_no,
            provider_refund_id,
            state,
            ..
        } => {
            let outcome = RefundOutcome {
                state,
                provider_refund_id,
            };
            match super::refunds::notified(app, &refund_no, &outcome).await {
                Ok(()) => Ok(true),
                Err(Error::NotFound) => {
                    tracing::error!(
                        provider = provider.name(),
                        "notification for a refund we did not ask for"
                    );
                    Ok(false)
                }
                Err(e) => Err(e),
            }
        }
    }
}
