//! Paying for an application by QR code, behind [`Provider`]: the interface the real
//! providers (WeChat Pay v3 Native, Alipay precreate) implement in their own issue.
//! The built-in [`Sandbox`] plays a gateway: it opens trades, shows a cashier page at
//! the code's URL where the payer confirms, and answers queries and refunds.
//!
//! A payment is recorded exactly once: the payment row is marked paid by a
//! conditional update, an application has at most one paid payment (a unique index),
//! and the amount the provider reports must equal the amount asked for.

use std::future::Future;
use std::pin::Pin;

use domain::Fen;
use domain::application::Status;
use domain::ids::{ApplicationId, PaymentId};
use jiff::Timestamp;
use serde::Serialize;
use store::Store;
use store::payments::{NewPayment, PaymentRecord, PaymentStatus};

use crate::applications::{self};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, random};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the provider says about a trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TradeState {
    NotPaid,
    Paid { transaction_id: String, amount: Fen },
    Closed,
    Refunded,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider does not know this trade")]
    UnknownTrade,
    #[error("provider: {0}")]
    Failed(String),
}

/// A payment provider, as certdesk needs it: open a trade and get a code URL to show
/// as a QR code; ask how a trade stands; refund a paid trade; close an unpaid one.
pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    fn create<'a>(
        &'a self,
        out_trade_no: &'a str,
        amount: Fen,
        description: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;
    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, ProviderError>>;
    fn refund<'a>(
        &'a self,
        out_trade_no: &'a str,
        refund_no: &'a str,
        amount: Fen,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// The built-in sandbox. Its books are the `sandbox_trades` table, so any instance
/// can serve its cashier page.
pub struct Sandbox {
    store: Store,
    public_url: String,
}

impl Sandbox {
    pub fn new(store: Store, public_url: &str) -> Sandbox {
        Sandbox {
            store,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

fn failed(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Failed(e.to_string())
}

impl Provider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn create<'a>(
        &'a self,
        out_trade_no: &'a str,
        amount: Fen,
        description: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            store::sandbox::open(
                &mut conn,
                out_trade_no,
                amount,
                description,
                Timestamp::now(),
            )
            .await
            .map_err(failed)?;
            Ok(format!("{}/sandbox/pay/{out_trade_no}", self.public_url))
        })
    }

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            let trade = store::sandbox::get(&mut conn, out_trade_no)
                .await
                .map_err(failed)?
                .ok_or(ProviderError::UnknownTrade)?;
            Ok(match trade.status.as_str() {
                "SUCCESS" => TradeState::Paid {
                    transaction_id: trade.transaction_id.unwrap_or_default(),
                    amount: trade.amount,
                },
                "CLOSED" => TradeState::Closed,
                "REFUND" => TradeState::Refunded,
                _ => TradeState::NotPaid,
            })
        })
    }

    fn refund<'a>(
        &'a self,
        out_trade_no: &'a str,
        _refund_no: &'a str,
        _amount: Fen,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            if store::sandbox::refund(&mut conn, out_trade_no)
                .await
                .map_err(failed)?
            {
                Ok(())
            } else {
                match store::sandbox::get(&mut conn, out_trade_no)
                    .await
                    .map_err(failed)?
                {
                    Some(t) if t.status == "REFUND" => Ok(()),
                    Some(_) => Err(ProviderError::Failed("trade is not paid".into())),
                    None => Err(ProviderError::UnknownTrade),
                }
            }
        })
    }

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            store::sandbox::close(&mut conn, out_trade_no)
                .await
                .map_err(failed)?;
            Ok(())
        })
    }
}

/// What the order page shows about paying.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub out_trade_no: String,
    pub provider: String,
    /// In fen.
    pub amount: i64,
    /// pending | paid | closed | refunded
    pub status: String,
    /// The URL the QR code carries.
    pub code_url: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<Timestamp>,
}

pub(crate) fn view_of(p: &PaymentRecord) -> PaymentView {
    PaymentView {
        out_trade_no: p.out_trade_no.clone(),
        provider: p.provider.clone(),
        amount: p.amount.0,
        status: p.status.as_str().into(),
        qr_svg: qr_svg(&p.code_url),
        code_url: p.code_url.clone(),
        paid_at: p.paid_at,
    }
}

fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        Err(e) => {
            tracing::error!(error = %e, "QR code");
            String::new()
        }
    }
}

/// How long a payment being opened (no code yet) is waited for before it is replaced.
const OPENING_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// 网上支付: the QR code for the amount due. A pending code for the same amount is
/// shown again rather than a new one opened; a double click opens one trade (the
/// database allows one pending payment per application).
pub async fn pay(app: &App, actor: &Actor, id: ApplicationId) -> Result<PaymentView, Error> {
    let mut tx = app.store.begin().await?;
    let record = applications::load(&mut tx, id).await?;
    authorize(actor, Action::EditApplication(applications::owner(&record)))?;
    if record.status != Status::AwaitingPayment {
        return Err(Error::Refused("transition.not_awaiting_payment"));
    }
    let mut superseded = Vec::new();
    if let Some(p) = store::payments::latest(&mut tx, id).await?
        && p.status == PaymentStatus::Pending
    {
        if p.amount.0 == record.amount {
            if !p.code_url.is_empty() {
                return Ok(view_of(&p));
            }
            // Another request is opening this trade right now (a double click): show its
            // code rather than supersede it with a second record. One left without a
            // code for longer (its request died) is replaced below.
            if app.now().duration_since(p.created_at) < OPENING_GRACE {
                drop(tx);
                return current_code(app, id).await;
            }
        }
        // Only the payment seen is closed: one opened meanwhile by a concurrent request
        // stays, and the insert below then meets it (one pending payment per application).
        if store::payments::close_if_pending(&mut tx, p.id).await? {
            superseded.push(p.out_trade_no);
        }
    }
    let out_trade_no = format!(
        "{}P{}",
        record.order_number,
        random::digits(app.random.as_ref(), 6)
    );
    let payment_id = PaymentId::new();
    let inserted = store::payments::insert(
        &mut tx,
        &NewPayment {
            id: payment_id,
            application_id: id,
            out_trade_no: &out_trade_no,
            provider: app.payments.name(),
            amount: Fen(record.amount),
            code_url: "",
            at: app.now(),
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
    let code_url = match app
        .payments
        .create(&out_trade_no, Fen(record.amount), &description)
        .await
    {
        Ok(url) => url,
        Err(e) => {
            let mut conn = app.store.conn().await?;
            store::payments::close_pending(&mut conn, id).await?;
            tracing::error!(application = %id, error = %e, "opening the trade failed");
            return Err(Error::Refused("payment.provider_unavailable"));
        }
    };
    let mut conn = app.store.conn().await?;
    store::payments::set_code_url(&mut conn, payment_id, &code_url).await?;
    current_code(app, id).await
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

pub(crate) async fn close_at_provider(app: &App, trades: &[String]) {
    for t in trades {
        if let Err(e) = app.payments.close(t).await {
            tracing::warn!(trade = %t, error = %e, "closing the trade at the provider failed");
        }
    }
}

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

/// The provider says a trade may have been paid (its notification, or our query):
/// asks it, and records the payment once, moving the application on.
pub async fn settle(app: &App, out_trade_no: &str) -> Result<(), Error> {
    let state = app
        .payments
        .query(out_trade_no)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let TradeState::Paid {
        transaction_id,
        amount,
    } = state
    else {
        return Ok(());
    };
    let mut tx = app.store.begin().await?;
    let Some(payment) = store::payments::by_trade_no(&mut tx, out_trade_no).await? else {
        return Err(Error::NotFound);
    };
    if matches!(
        payment.status,
        PaymentStatus::Paid | PaymentStatus::Refunded
    ) {
        return Ok(()); // recorded already
    }
    if amount != payment.amount {
        tracing::error!(payment = %payment.id, expected = payment.amount.0, got = amount.0, "paid amount differs; not recorded");
        return Err(Error::Refused("payment.amount_mismatch"));
    }
    let record = applications::load(&mut tx, payment.application_id).await?;
    let now = app.now();
    match store::payments::mark_paid(&mut tx, payment.id, &transaction_id, now).await {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(e) if e.conflict() == Some(store::Conflict::Payment) => {
            // The application was paid through another code already: give this back.
            drop(tx);
            tracing::warn!(payment = %payment.id, "second payment for one application; refunding");
            return refund_trade(app, &payment).await;
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
        }
        _ => {
            // Paid for an application that no longer waits for it (withdrawn meanwhile,
            // or its amount changed): keep the record and give the money back.
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::warn!(application = %record.id, payment = %payment.id, "payment arrived for an application not awaiting it; refunding");
            refund_payment(app, &payment).await?;
        }
    }
    Ok(())
}

/// Refunds the paid payment of an application (after 拒绝).
pub async fn refund(app: &App, id: ApplicationId) -> Result<(), Error> {
    let mut conn = app.store.conn().await?;
    let paid = store::payments::latest_paid(&mut conn, id).await?;
    drop(conn);
    match paid {
        Some(p) => refund_payment(app, &p).await,
        None => Ok(()),
    }
}

/// Refunds a trade that was paid but could not be recorded (its application already paid).
async fn refund_trade(app: &App, p: &PaymentRecord) -> Result<(), Error> {
    let refund_no = format!("R{}", p.out_trade_no);
    app.payments
        .refund(&p.out_trade_no, &refund_no, p.amount)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

async fn refund_payment(app: &App, p: &PaymentRecord) -> Result<(), Error> {
    let refund_no = format!("R{}", p.out_trade_no);
    if let Err(e) = app
        .payments
        .refund(&p.out_trade_no, &refund_no, p.amount)
        .await
    {
        tracing::error!(payment = %p.id, error = %e, "refund failed; finance must retry");
        return Err(Error::Internal(e.to_string()));
    }
    let mut conn = app.store.conn().await?;
    store::payments::mark_refunded(&mut conn, p.id, &refund_no, app.now()).await?;
    tracing::info!(payment = %p.id, "refunded");
    Ok(())
}

/// The sandbox cashier: what the payer sees at the code's URL.
#[derive(Clone, Debug, Serialize)]
pub struct CashierView {
    pub out_trade_no: String,
    pub description: String,
    pub amount: Fen,
    /// NOTPAY, SUCCESS, CLOSED or REFUND.
    pub status: String,
}

pub async fn sandbox_trade(app: &App, out_trade_no: &str) -> Result<CashierView, Error> {
    let mut conn = app.store.conn().await?;
    let t = store::sandbox::get(&mut conn, out_trade_no)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(CashierView {
        out_trade_no: t.out_trade_no,
        description: t.description,
        amount: t.amount,
        status: t.status,
    })
}

/// The payer confirms in the sandbox cashier; the sandbox then notifies certdesk, which
/// (as with a real provider) asks the provider before recording anything.
pub async fn sandbox_confirm(app: &App, out_trade_no: &str) -> Result<(), Error> {
    {
        let mut conn = app.store.conn().await?;
        let transaction_id = format!("SBX{}", random::digits(app.random.as_ref(), 16));
        if !store::sandbox::confirm(&mut conn, out_trade_no, &transaction_id, app.now()).await? {
            let t = store::sandbox::get(&mut conn, out_trade_no)
                .await?
                .ok_or(Error::NotFound)?;
            if t.status != "SUCCESS" {
                return Err(Error::Refused("payment.trade_closed"));
            }
        }
    }
    settle(app, out_trade_no).await
}
