//! Refunds: asked of the payment's provider and followed to their end. The refund row is
//! written before the provider is asked, under a number of ours that the provider never
//! pays twice, so a refund cut off midway is asked again (by reconciliation, or by
//! finance) without giving the money back twice.

use domain::ids::{ApplicationId, RefundId};
use pay::{RefundOutcome, RefundRequest, RefundState};
use store::payments::PaymentRecord;
use store::refunds::{NewRefund, RefundRecord, RefundStatus};

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// Refunds the paid payment of an application (after 拒绝). A refund the provider
/// refuses or does not answer is kept for finance and reconciliation; the rejection
/// stands either way.
pub async fn refund(app: &App, id: ApplicationId) -> Result<(), Error> {
    let mut conn = app.store.conn().await?;
    let paid = store::payments::latest_paid(&mut conn, id).await?;
    drop(conn);
    match paid {
        Some(p) => give_back(app, &p, "申请被拒绝，退还费用").await,
        None => Ok(()),
    }
}

/// Gives the whole of `payment` back: writes the refund (once per payment) and asks.
pub(crate) async fn give_back(
    app: &App,
    payment: &PaymentRecord,
    reason: &str,
) -> Result<(), Error> {
    let refund_no = format!("R{}", payment.out_trade_no);
    let mut conn = app.store.conn().await?;
    let inserted = store::refunds::insert(
        &mut conn,
        &NewRefund {
            id: RefundId::new(),
            payment_id: payment.id,
            refund_no: &refund_no,
            amount: payment.amount,
            reason,
            at: app.now(),
        },
    )
    .await;
    match inserted {
        Ok(()) => {}
        // Asked before (a repeated notification, two rejections racing): follow that one.
        Err(store::StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let refund = store::refunds::by_refund_no(&mut conn, &refund_no)
        .await?
        .ok_or(Error::NotFound)?;
    drop(conn);
    if refund.status == RefundStatus::Requested || refund.status == RefundStatus::Failed {
        ask(app, &refund, payment).await?;
    }
    Ok(())
}

/// Asks the provider for `refund` and records its answer. A provider that refuses or
/// fails leaves the refund `failed` (finance may ask again); one that does not answer
/// leaves it `requested` (reconciliation asks again).
pub(crate) async fn ask(
    app: &App,
    refund: &RefundRecord,
    payment: &PaymentRecord,
) -> Result<(), Error> {
    let provider = app
        .payments
        .get(&payment.provider)
        .ok_or_else(|| Error::Internal(format!("provider {} not configured", payment.provider)))?;
    let request = RefundRequest {
        out_trade_no: &payment.out_trade_no,
        refund_no: &refund.refund_no,
        amount: refund.amount,
        total: payment.amount,
        reason: &refund.reason,
    };
    match provider.refund(&request).await {
        Ok(outcome) => apply(app, refund, &outcome).await,
        Err(pay::ProviderError::Timeout) => {
            tracing::warn!(refund = %refund.id, "the provider did not answer the refund; asking again later");
            Ok(())
        }
        Err(e) => {
            tracing::error!(refund = %refund.id, error = %e, "refund refused or failed; finance must look");
            let mut conn = app.store.conn().await?;
            store::refunds::record(
                &mut conn,
                refund.id,
                RefundStatus::Failed,
                None,
                Some(&e.to_string()),
                app.now(),
            )
            .await?;
            Ok(())
        }
    }
}

/// Records what the provider said of a refund (its answer, its notification, a query).
/// A refund paid out marks its payment refunded.
pub(crate) async fn apply(
    app: &App,
    refund: &RefundRecord,
    outcome: &RefundOutcome,
) -> Result<(), Error> {
    let status = match outcome.state {
        RefundState::Processing => RefundStatus::Processing,
        RefundState::Succeeded => RefundStatus::Succeeded,
        RefundState::Closed => RefundStatus::Closed,
        RefundState::Abnormal => RefundStatus::Abnormal,
    };
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let changed = store::refunds::record(
        &mut tx,
        refund.id,
        status,
        outcome.provider_refund_id.as_deref(),
        None,
        now,
    )
    .await?;
    if changed && status == RefundStatus::Succeeded {
        store::payments::mark_refunded(&mut tx, refund.payment_id, &refund.refund_no, now).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    if changed {
        tracing::info!(refund = %refund.id, status = status.as_str(), "refund recorded");
    }
    Ok(())
}

/// A refund notification: recorded against our refund of that number.
pub(crate) async fn notified(
    app: &App,
    refund_no: &str,
    outcome: &RefundOutcome,
) -> Result<(), Error> {
    let mut conn = app.store.conn().await?;
    let refund = store::refunds::by_refund_no(&mut conn, refund_no)
        .await?
        .ok_or(Error::NotFound)?;
    drop(conn);
    apply(app, &refund, outcome).await
}

/// Finance asks again for a refund the provider refused or failed (退款重试).
pub async fn retry(app: &App, actor: &Actor, id: RefundId) -> Result<(), Error> {
    authorize(actor, Action::ManagePayments)?;
    let mut conn = app.store.conn().await?;
    let refund = store::refunds::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    if refund.status != RefundStatus::Failed {
        return Err(Error::Refused("refund.not_failed"));
    }
    let payment = store::payments::get(&mut conn, refund.payment_id)
        .await?
        .ok_or(Error::NotFound)?;
    store::audit::append(
        &mut conn,
        app.now(),
        actor.audit_id(),
        "refund.retry",
        &refund.refund_no,
        "",
    )
    .await?;
    drop(conn);
    ask(app, &refund, &payment).await
}
