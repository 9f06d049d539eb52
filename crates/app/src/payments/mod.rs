//! Paying for an application by QR code, through the providers of this deployment
//! ([`pay::Provider`]: WeChat Pay, Alipay, or the built-in [`Sandbox`]).
//!
//! - [`open`]: 网上支付, the code for the amount due, with the provider the payer chose;
//! - [`settle`]: a payment recorded once, from a verified notification or a query;
//! - [`notify`]: the providers' notifications, verified and matched against the order;
//! - [`refunds`]: refunds asked and followed to their end;
//! - [`reconcile`]: the background job that asks about codes and refunds left open;
//! - [`finance`]: the finance desk's lists, alerts and daily statement.
//!
//! A payment is recorded exactly once: the payment row is marked paid by a conditional
//! update, an application has at most one paid payment (a unique index), and the amount
//! the provider reports must equal the amount asked for. Nothing is marked paid that the
//! provider has not confirmed.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use store::payments::PaymentRecord;
use store::refunds::RefundRecord;

pub mod finance;
pub mod notify;
pub mod open;
pub mod reconcile;
pub mod refunds;
pub mod sandbox;
pub mod settle;

pub(crate) use open::close_at_provider;
pub use open::pay;
pub use pay::{Provider, ProviderError, TradeState};
pub use reconcile::reconcile;
pub use refunds::refund;
pub use sandbox::{CashierView, Sandbox, sandbox_confirm, sandbox_trade};
pub use settle::{refresh, settle};

/// The providers a deployment offers, in the order the payer sees them; the first is
/// the default.
pub struct Providers {
    list: Vec<Arc<dyn Provider>>,
}

impl Providers {
    /// At least one provider; a name given twice keeps the first.
    pub fn new(list: Vec<Arc<dyn Provider>>) -> Providers {
        let mut kept: Vec<Arc<dyn Provider>> = Vec::new();
        for p in list {
            if !kept.iter().any(|k| k.name() == p.name()) {
                kept.push(p);
            }
        }
        Providers { list: kept }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.list.iter().find(|p| p.name() == name)
    }

    pub fn default_provider(&self) -> Option<&Arc<dyn Provider>> {
        self.list.first()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|p| p.name()).collect()
    }
}

/// A refund as the applicant and finance see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    pub refund_no: String,
    /// In fen.
    pub amount: i64,
    /// requested | processing | succeeded | closed | abnormal | failed
    pub status: String,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

pub(crate) fn refund_view(r: &RefundRecord) -> RefundView {
    RefundView {
        refund_no: r.refund_no.clone(),
        amount: r.amount.0,
        status: r.status.as_str().into(),
        updated_at: r.updated_at,
    }
}

/// What the order page shows about paying.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub out_trade_no: String,
    /// sandbox | wechat | alipay
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
    /// After this the code can no longer be paid; a new one is opened.
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Timestamp>,
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
        expires_at: p.expires_at,
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

/// A provider error as the payer hears of it: no answer in time (retry), or unavailable.
pub(crate) fn provider_refusal(e: &ProviderError) -> crate::Error {
    match e {
        ProviderError::Timeout => crate::Error::Refused("payment.provider_timeout"),
        _ => crate::Error::Refused("payment.provider_unavailable"),
    }
}
