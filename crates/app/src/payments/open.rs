//! 网上支付: the QR code for the amount due, at the provider the payer chose.

use domain::Fen;
use domain::application::Status;
use domain::ids::{ApplicationId, PaymentId};
use pay::NewTrade;
use store::payments::{NewPayment, PaymentRecord, PaymentStatus};

use super::{PaymentView, provider_refusal, view_of};
use crate::applications;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, random};

/// How long a payment being opened (no code yet) is waited for before it is replaced.
const OPENING_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// A code this close to its end is not shown again: the payer could not finish in time.
const EXPIRY_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// 网上支付: the QR code for the amount due, at `provider` (`wechat`, `alipay`, … as
/// this deployment offers; None keeps the open code's provider, or the default). An
/// open code for the same amount and provider is shown again rather than a new one
/// opened; a code that expired, or one at another provider, is closed and replaced. A
/// double click opens one trade (the database allows one pending payment per
/// application).
pub async fn pay(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    provider: Option<&str>,
) -> Result<PaymentView, Error> {
    let mut tx = app.store.begin().await?;
    let record = applications::load(&mut tx, id).await?;
    authorize(actor, Action::EditApplication(applications::owner(&record)))?;
    if record.status != Status::AwaitingPayment {
        return Err(Error::Refused("transition.not_awaiting_payment"));
    }
    let latest = store::payments::latest(&mut tx, id).await?;
    let open = latest.filter(|p| p.status == PaymentStatus::Pending);
    let chosen = match provider {
        Some(name) => app
            .payments
            .get(name)
            .ok_or(Error::Refused("payment.unknown_provider"))?,
        None => open
            .as_ref()
            .and_then(|p| app.payments.get(&p.provider))
            .or_else(|| app.payments.default_provider())
            .ok_or(Error::Refused("payment.provider_unavailable"))?,
    }
    .clone();
    let now = app.now();
    let mut superseded = Vec::new();
    if let Some(p) = open {
        if reusable(&p, record.amount, chosen.name(), now) {
            if !p.code_url.is_empty() {
                return Ok(view_of(&p));
            }
            // Another request is opening this trade right now (a double click): show its
            // code rather than supersede it with a second record. One left without a
            // code for longer (its request died) is replaced below.
            if now.duration_since(p.created_at) < OPENING_GRACE {
                drop(tx);
                return current_code(app, id).await;
            }
        }
        // Only the payment seen is closed: one opened meanwhile by a concurrent request
        // stays, and the insert below then meets it (one pending payment per application).
        if store::payments::close_if_pending(&mut tx, p.id).await? {
            superseded.push(p);
        }
    }
    let out_trade_no = format!(
        "{}P{}",
        record.order_number,
        random::digits(app.random.as_ref(), 6)
    );
    let payment_id = PaymentId::new();
    let expires_at = now + app.payment_validity;
    let inserted = store::payments::insert(
        &mut tx,
        &NewPayment {
            id: payment_id,
            application_id: id,
            out_trade_no: &out_trade_no,
            provider: chosen.name(),
            amount: Fen(record.amount),
            code_url: "",
            at: now,
            expires_at,
        },
    )
    .await;
    match inserted {
        Ok(()) => tx.commit().await.map_err(store::StoreError::from)?,
        Err(e) if e.conflict() == Some(store::Conflict::Payment) => {
            // Another click opened one at the same moment: show that one.
            drop(tx);
            return current_code(app, id).await;
        }
        Err(e) => return Err(e.into()),
    }
    close_at_provider(app, &superseded).await;
    // The provider is called outside the transaction: it may be slow, and the sandbox
    // writes its own books.
    let description = format!("CA证书办理 {}", record.order_number);
    let trade = NewTrade {
        out_trade_no: &out_trade_no,
        amount: Fen(record.amount),
        description: &description,
        expires_at,
    };
    let code_url = match chosen.create(&trade).await {
        Ok(url) => url,
        Err(e) => {
            let mut conn = app.store.conn().await?;
            let closed = store::payments::close_if_pending(&mut conn, payment_id).await?;
            drop(conn);
            tracing::warn!(application = %id, provider = chosen.name(), error = %e, "opening the trade failed");
            if closed && matches!(e, pay::ProviderError::Timeout) {
                // It may have been opened all the same: closed, so it can never be paid.
                // In the background: the payer hears now that they may retry.
                let provider = chosen.clone();
                tokio::spawn(async move {
                    if let Err(e) = provider.close(&out_trade_no).await {
                        tracing::warn!(trade = %out_trade_no, error = %e, "closing an unanswered trade failed");
                    }
                });
            }
            return Err(provider_refusal(&e));
        }
    };
    let mut conn = app.store.conn().await?;
    store::payments::set_code_url(&mut conn, payment_id, &code_url).await?;
    current_code(app, id).await
}

/// The open code can be shown again: same amount and provider, and time left to pay.
fn reusable(p: &PaymentRecord, amount: i64, provider: &str, now: jiff::Timestamp) -> bool {
    p.amount.0 == amount
        && p.provider == provider
        && p.expires_at.is_none_or(|end| end > now + EXPIRY_MARGIN)
}

/// The open code of an application, waiting briefly for a concurrent request to finish
/// opening it.
async fn current_code(app: &App, id: ApplicationId) -> Result<PaymentView, Error> {
    for _ in 0..50 {
        let mut conn = app.store.conn().await?;
        if let Some(p) = store::payments::latest(&mut conn, id).await?
            && !p.code_url.is_empty()
        {
            return Ok(view_of(&p));
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(Error::Refused("payment.provider_unavailable"))
}

/// Tells each payment's provider that its code is closed (after the database says so).
/// A payment that slips in before the provider hears is still recorded, and refunded if
/// the order was paid otherwise.
pub(crate) async fn close_at_provider(app: &App, payments: &[PaymentRecord]) {
    for p in payments {
        let Some(provider) = app.payments.get(&p.provider) else {
            tracing::warn!(payment = %p.id, provider = %p.provider, "closing: provider no longer configured");
            continue;
        };
        if let Err(e) = provider.close(&p.out_trade_no).await {
            tracing::warn!(payment = %p.id, error = %e, "closing the trade at the provider failed");
        }
    }
}
