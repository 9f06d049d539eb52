//! The built-in sandbox provider: it plays a gateway for demos and tests. Its books are
//! the `sandbox_trades` table, so any instance can serve its cashier page, where the
//! payer confirms; the sandbox then tells certdesk in-process (it sends no HTTP
//! notifications), and certdesk asks it before recording anything, as with a real one.

use domain::Fen;
use jiff::Timestamp;
use pay::{
    Ack, BoxFuture, NewTrade, Notice, NoticeError, Provider, ProviderError, RefundOutcome,
    RefundRequest, RefundState, TradeState,
};
use serde::Serialize;
use store::Store;

use crate::{App, Error, random};

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

    fn merchant(&self) -> String {
        "sandbox".into()
    }

    fn create<'a>(
        &'a self,
        trade: &'a NewTrade<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            store::sandbox::open(
                &mut conn,
                trade.out_trade_no,
                trade.amount,
                trade.description,
                Timestamp::now(),
            )
            .await
            .map_err(failed)?;
            Ok(format!(
                "{}/sandbox/pay/{}",
                self.public_url, trade.out_trade_no
            ))
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

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            store::sandbox::close(&mut conn, out_trade_no)
                .await
                .map_err(failed)?;
            Ok(())
        })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            let refunded = store::sandbox::refund(&mut conn, refund.out_trade_no)
                .await
                .map_err(failed)?;
            if !refunded {
                match store::sandbox::get(&mut conn, refund.out_trade_no)
                    .await
                    .map_err(failed)?
                {
                    Some(t) if t.status == "REFUND" => {}
                    Some(_) => {
                        return Err(ProviderError::Rejected {
                            code: "TRADE_NOT_PAID".into(),
                            message: "trade is not paid".into(),
                        });
                    }
                    None => return Err(ProviderError::UnknownTrade),
                }
            }
            Ok(RefundOutcome {
                state: RefundState::Succeeded,
                provider_refund_id: Some(format!("SBX{}", refund.refund_no)),
            })
        })
    }

    fn query_refund<'a>(
        &'a self,
        out_trade_no: &'a str,
        refund_no: &'a str,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(async move {
            let mut conn = self.store.conn().await.map_err(failed)?;
            let trade = store::sandbox::get(&mut conn, out_trade_no)
                .await
                .map_err(failed)?
                .ok_or(ProviderError::UnknownTrade)?;
            if trade.status != "REFUND" {
                return Err(ProviderError::Rejected {
                    code: "RESOURCE_NOT_EXISTS".into(),
                    message: "no such refund".into(),
                });
            }
            Ok(RefundOutcome {
                state: RefundState::Succeeded,
                provider_refund_id: Some(format!("SBX{refund_no}")),
            })
        })
    }

    fn verify_notification(
        &self,
        _headers: &http::HeaderMap,
        _body: &[u8],
        _now: Timestamp,
    ) -> Result<Notice, NoticeError> {
        // The sandbox's cashier tells certdesk in-process; nothing comes over HTTP.
        Err(NoticeError::Malformed(
            "the sandbox sends no notifications".into(),
        ))
    }

    fn acknowledge(&self, accepted: bool) -> Ack {
        Ack {
            status: if accepted { 200 } else { 400 },
            content_type: "text/plain; charset=utf-8",
            body: String::new(),
        }
    }
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

/// The payer confirms in the sandbox cashier; the sandbox then tells certdesk, which
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
    super::settle(app, out_trade_no).await
}
