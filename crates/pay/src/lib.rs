//! Payment providers, as certdesk needs them: open a trade and get the URL its QR code
//! carries; ask how a trade stands; close an unpaid one; refund a paid one; and read
//! the provider's signed notifications.
//!
//! Two real providers implement [`Provider`] here, each after its published protocol:
//! [`wechat`] (WeChat Pay API v3, Native) and [`alipay`] (Alipay 当面付). The
//! built-in sandbox, which keeps its books in certdesk's database, lives in `app`.
//! Nothing here touches the database: what a trade means for an order is decided by
//! the caller, which records a payment only on a verified notification or query.

use std::future::Future;
use std::pin::Pin;

use domain::Fen;
use jiff::Timestamp;

pub mod alipay;
#[cfg(feature = "testing")]
pub mod testing;
pub mod wechat;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A trade to open: the amount due for one order.
#[derive(Clone, Debug)]
pub struct NewTrade<'a> {
    /// Ours, unique per QR code: the order number and a suffix.
    pub out_trade_no: &'a str,
    pub amount: Fen,
    /// What the payer sees in the wallet, e.g. "CA证书办理 202611210001".
    pub description: &'a str,
    /// After this the code can no longer be paid (WeChat `time_expire`, Alipay
    /// `timeout_express`); the order then gets a new code.
    pub expires_at: Timestamp,
}

/// What the provider says about a trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TradeState {
    /// Not paid yet (WeChat NOTPAY / USERPAYING, Alipay WAIT_BUYER_PAY).
    NotPaid,
    /// Paid (WeChat SUCCESS, Alipay TRADE_SUCCESS / TRADE_FINISHED).
    Paid { transaction_id: String, amount: Fen },
    /// Closed unpaid, or paid and then wholly refunded where the provider cannot tell
    /// the two apart (Alipay TRADE_CLOSED).
    Closed,
    /// Refunded in part or whole (WeChat REFUND).
    Refunded,
}

/// A refund to ask for.
#[derive(Clone, Debug)]
pub struct RefundRequest<'a> {
    pub out_trade_no: &'a str,
    /// Ours, unique per refund (WeChat `out_refund_no`, Alipay `out_request_no`).
    pub refund_no: &'a str,
    /// What to give back.
    pub amount: Fen,
    /// What the trade was paid (WeChat needs it).
    pub total: Fen,
    /// Shown to the payer, e.g. "申请被拒绝".
    pub reason: &'a str,
}

/// How a refund stands at the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundState {
    /// Accepted, money on its way (WeChat PROCESSING).
    Processing,
    /// The money is back with the payer.
    Succeeded,
    /// The provider closed it without paying out.
    Closed,
    /// The provider could not pay out (WeChat ABNORMAL): finance must act.
    Abnormal,
}

impl RefundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Processing => "processing",
            RefundState::Succeeded => "succeeded",
            RefundState::Closed => "closed",
            RefundState::Abnormal => "abnormal",
        }
    }

    pub fn parse(s: &str) -> Option<RefundState> {
        [
            RefundState::Processing,
            RefundState::Succeeded,
            RefundState::Closed,
            RefundState::Abnormal,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// No further change will come.
    pub fn is_final(self) -> bool {
        !matches!(self, RefundState::Processing)
    }
}

/// The provider's answer to a refund request or query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundOutcome {
    pub state: RefundState,
    /// The provider's id of the refund, when it gives one.
    pub provider_refund_id: Option<String>,
}

/// What a verified notification says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A trade changed state (WeChat TRANSACTION.SUCCESS; Alipay's trade notification).
    Trade {
        out_trade_no: String,
        /// The provider's transaction id (WeChat transaction_id, Alipay trade_no).
        transaction_id: String,
        state: TradeState,
        /// What the payer paid, as the notification says it.
        amount: Fen,
        /// The merchant the notification names, in the form [`Provider::merchant`]
        /// gives, so that one for another merchant is told apart.
        merchant: String,
    },
    /// A refund changed state (WeChat REFUND.*; Alipay reports refunds synchronously).
    Refund {
        out_trade_no: String,
        refund_no: String,
        provider_refund_id: Option<String>,
        state: RefundState,
        amount: Fen,
    },
}

/// Why a notification was not believed. Each is answered with a refusal, so the
/// provider sends it again (a real one) or gives up (a forgery).
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the signature does not verify")]
    BadSignature,
    #[error("signed by a key this deployment does not know: {0}")]
    UnknownKey(String),
    #[error("the notification is too old or from the future (a replay?)")]
    Stale,
    #[error("malformed notification: {0}")]
    Malformed(String),
}

/// The HTTP answer a provider expects to a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider does not know this trade")]
    UnknownTrade,
    /// No answer in time: nothing is known to have changed; the payer may retry.
    #[error("the provider did not answer in time")]
    Timeout,
    /// The provider answered with an error of its own.
    #[error("the provider refused: {code}: {message}")]
    Rejected { code: String, message: String },
    /// Transport failure, or an answer that does not verify or parse.
    #[error("provider: {0}")]
    Failed(String),
}

/// A setting that is missing or does not parse. The server does not start with one.
#[derive(Debug, thiserror::Error)]
#[error("setting `{setting}`: {reason}")]
pub struct ConfigError {
    /// The setting's name as written in the config, e.g. `payments.wechat.private_key_file`.
    pub setting: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, reason: impl std::fmt::Display) -> ConfigError {
        ConfigError {
            setting: setting.into(),
            reason: reason.to_string(),
        }
    }
}

/// A payment provider. Calls go over the network and may be slow: callers make them
/// outside database transactions.
pub trait Provider: Send + Sync {
    /// `sandbox`, `wechat` or `alipay`: stored with each payment.
    fn name(&self) -> &'static str;

    /// The merchant this deployment collects for, in the form notices carry it.
    fn merchant(&self) -> String;

    /// Opens a trade and returns the URL its QR code carries.
    fn create<'a>(
        &'a self,
        trade: &'a NewTrade<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, ProviderError>>;

    /// Closes an unpaid trade so its code can no longer be paid. Closing one that is
    /// closed already succeeds.
    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Asks for a refund. Asking again with the same `refund_no` does not pay twice.
    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>>;

    fn query_refund<'a>(
        &'a self,
        out_trade_no: &'a str,
        refund_no: &'a str,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>>;

    /// Checks a notification's signature and freshness and reads it. `now` is the
    /// server's clock, against which a replayed (old) notification is refused.
    fn verify_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Notice, NoticeError>;

    /// The answer the provider expects: accepted (it stops sending) or refused.
    fn acknowledge(&self, accepted: bool) -> Ack;
}
