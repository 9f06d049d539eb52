//! Recording a payment, once: from a verified notification ([`super::notify`]) or from
//! asking the provider (支付结果查询, reconciliation). Both end in [`record_paid`], whose
//! conditional update lets only one of them record it.

use domain::Fen;
use domain::ids::ApplicationId;
use pay::TradeState;
use store::payment_alerts::{AlertKind, NewAlert};
use store::payments::{PaymentRecord, PaymentStatus};

use super::{PaymentView, provider_refusal, refunds, view_of};
use crate::applications;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// 刷新支付状态 / 支付结果查询: asks the provider and records a payment that arrived.
pub async fn refresh(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
) -> Result<Option<PaymentView>, Error> {
    let latest = {
        let mut conn = app.store.conn().await?;
        let record = applications::load(&mut conn, id).await?;
        authorize(actor, Action::ViewApplication(applications::owner(&record)))?;
        store::payments::latest(&mut conn, id).await?
    };
    let Some(payment) = latest else {
        return Ok(None);
    };
    if payment.status == PaymentStatus::Pending {
        settle(app, &payment.out_trade_no).await?;
    }
    let mut conn = app.store.conn().await?;
    Ok(store::payments::latest(&mut conn, id)
        .await?
        .map(|p| view_of(&p)))
}

/// Asks the trade's provider how it stands and records a payment that arrived.
pub async fn settle(app: &App, out_trade_no: &str) -> Result<(), Error> {
    let payment = {
        let mut conn = app.store.conn().await?;
        store::payments::by_trade_no(&mut conn, out_trade_no)
            .await?
            .ok_or(Error::NotFound)?
    };
    let provider = app
        .payments
        .get(&payment.provider)
        .ok_or_else(|| Error::Internal(format!("provider {} not configured", payment.provider)))?;
    let state = match provider.query(out_trade_no).await {
        Ok(state) => state,
        // Alipay knows a trade only once its code is scanned: not paid, then.
        Err(pay::ProviderError::UnknownTrade) => TradeState::NotPaid,
        Err(e) => {
            tracing::warn!(payment = %payment.id, error = %e, "querying the trade failed");
            return Err(provider_refusal(&e));
        }
    };
    if let TradeState::Paid {
        transaction_id,
        amount,
    } = state
    {
        record_paid(app, &payment, &transaction_id, amount).await?;
    }
    Ok(())
}

/// What came of a confirmed payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// Recorded now; the application moved on.
    Paid,
    /// Recorded before (a repeated notification, or the query button won the race).
    Already,
    /// Paid, but the order no longer wanted it (or was paid through another code): the
    /// money is being given back.
    Refunding,
}

/// The provider confirmed `payment` paid with `amount`: records it once and moves the
/// application on. An amount that differs from the one asked is refused and flagged for
/// finance; nothing is recorded.
pub(crate) async fn record_paid(
    app: &App,
    payment: &PaymentRecord,
    transaction_id: &str,
    amount: Fen,
) -> Result<Recorded, Error> {
    if amount != payment.amount {
        raise(
            app,
            payment,
            AlertKind::AmountMismatch,
            Some(amount),
            "",
            transaction_id,
        )
        .await?;
        tracing::error!(payment = %payment.id, expected = payment.amount.0, got = amount.0, "paid amount differs; not recorded");
        return Err(Error::Refused("payment.amount_mismatch"));
    }
    let mut tx = app.store.begin().await?;
    // Read again inside the transaction: the state seen by the caller may be stale.
    let Some(payment) = store::payments::by_trade_no(&mut tx, &payment.out_trade_no).await? else {
        return Err(Error::NotFound);
    };
    if matches!(
        payment.status,
        PaymentStatus::Paid | PaymentStatus::Refunded
    ) {
        return Ok(Recorded::Already);
    }
    let record = applications::load(&mut tx, payment.application_id).await?;
    let now = app.now();
    match store::payments::mark_paid(&mut tx, payment.id, transaction_id, now).await {
        Ok(true) => {}
        Ok(false) => return Ok(Recorded::Already),
        Err(e) if e.conflict() == Some(store::Conflict::Payment) => {
            // The application was paid through another code already: give this back.
            drop(tx);
            tracing::warn!(payment = %payment.id, "second payment for one application; refunding");
            raise(
                app,
                &payment,
                AlertKind::SecondPayment,
                Some(amount),
                "",
                transaction_id,
            )
            .await?;
            refunds::give_back(app, &payment, "重复支付退款").await?;
            return Ok(Recorded::Refunding);
        }
        Err(e) => return Err(e.into()),
    }
    let paid_flow = applications::flow_of(&record)?;
    match paid_flow.pay() {
        Ok(next) if amount.0 == record.amount => {
            applications::commit_payment(
                app,
                &mut tx,
                &record,
                next,
                &format!("支付 {amount}，交易号 {transaction_id}"),
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::info!(application = %record.id, payment = %payment.id, "payment recorded");
            Ok(Recorded::Paid)
        }
        _ => {
            // Paid for an application that no longer waits for it (withdrawn meanwhile,
            // or its amount changed): keep the record and give the money back.
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::warn!(application = %record.id, payment = %payment.id, "payment arrived for an application not awaiting it; refunding");
            refunds::give_back(app, &payment, "订单已不需支付，退款").await?;
            Ok(Recorded::Refunding)
        }
    }
}

/// Keeps an alert for finance about `payment` (once per notification).
pub(crate) async fn raise(
    app: &App,
    payment: &PaymentRecord,
    kind: AlertKind,
    notified_amount: Option<Fen>,
    merchant: &str,
    transaction_id: &str,
) -> Result<(), Error> {
    let mut conn = app.store.conn().await?;
    store::payment_alerts::raise(
        &mut conn,
        &NewAlert {
            provider: &payment.provider,
            out_trade_no: &payment.out_trade_no,
            payment_id: Some(payment.id),
            kind,
            expected_amount: Some(payment.amount),
            notified_amount,
            merchant,
            transaction_id,
            at: app.now(),
        },
    )
    .await?;
    Ok(())
}
