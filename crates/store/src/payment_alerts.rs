//! Provider notifications that verified but did not add up (another amount, another
//! merchant, a trade we never opened, a second payment of a paid order): refused, and
//! kept here for finance. The same notification sent again is one alert.

use domain::Fen;
use domain::ids::{PaymentAlertId, PaymentId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    AmountMismatch,
    MerchantMismatch,
    UnknownTrade,
    SecondPayment,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::AmountMismatch => "amount_mismatch",
            AlertKind::MerchantMismatch => "merchant_mismatch",
            AlertKind::UnknownTrade => "unknown_trade",
            AlertKind::SecondPayment => "second_payment",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        [
            AlertKind::AmountMismatch,
            AlertKind::MerchantMismatch,
            AlertKind::UnknownTrade,
            AlertKind::SecondPayment,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug)]
pub struct Alert {
    pub id: PaymentAlertId,
    pub provider: String,
    pub out_trade_no: String,
    pub payment_id: Option<PaymentId>,
    pub kind: AlertKind,
    pub expected_amount: Option<Fen>,
    pub notified_amount: Option<Fen>,
    pub merchant: String,
    pub transaction_id: String,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub note: Option<String>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    provider: String,
    out_trade_no: String,
    payment_id: Option<String>,
    kind: String,
    expected_amount: Option<i64>,
    notified_amount: Option<i64>,
    merchant: String,
    transaction_id: String,
    created_at: i64,
    resolved_at: Option<i64>,
    note: Option<String>,
}

const COLUMNS: &str = "id, provider, out_trade_no, payment_id, kind, expected_amount, notified_amount, \
                       merchant, transaction_id, created_at, resolved_at, note";

impl TryFrom<Row> for Alert {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("payment alert {}: {w}", r.id));
        Ok(Alert {
            id: PaymentAlertId::parse(&r.id).map_err(|_| corrupt("id"))?,
            payment_id: r
                .payment_id
                .as_deref()
                .map(PaymentId::parse)
                .transpose()
                .map_err(|_| corrupt("payment"))?,
            kind: AlertKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
            created_at: from_micros(r.created_at)?,
            resolved_at: r.resolved_at.map(from_micros).transpose()?,
            expected_amount: r.expected_amount.map(Fen),
            notified_amount: r.notified_amount.map(Fen),
            provider: r.provider,
            out_trade_no: r.out_trade_no,
            merchant: r.merchant,
            transaction_id: r.transaction_id,
            note: r.note,
        })
    }
}

pub struct NewAlert<'a> {
    pub provider: &'a str,
    pub out_trade_no: &'a str,
    pub payment_id: Option<PaymentId>,
    pub kind: AlertKind,
    pub expected_amount: Option<Fen>,
    pub notified_amount: Option<Fen>,
    pub merchant: &'a str,
    pub transaction_id: &'a str,
    pub at: Timestamp,
}

/// Keeps an alert; the same one again (provider, trade, transaction, kind) is not added.
/// Returns whether it is new.
pub async fn raise(conn: &mut AnyConnection, a: &NewAlert<'_>) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "INSERT INTO payment_alerts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL) \
         ON CONFLICT (provider, out_trade_no, transaction_id, kind) DO NOTHING"
    ))
    .bind(PaymentAlertId::new().to_text())
    .bind(a.provider)
    .bind(a.out_trade_no)
    .bind(a.payment_id.map(|p| p.to_text()))
    .bind(a.kind.as_str())
    .bind(a.expected_amount.map(|f| f.0))
    .bind(a.notified_amount.map(|f| f.0))
    .bind(a.merchant)
    .bind(a.transaction_id)
    .bind(micros(a.at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The alerts, unresolved first, newest first.
pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Alert>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_alerts \
         ORDER BY CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Alert::try_from).collect()
}

/// Finance has looked into it. False when it was resolved already.
pub async fn resolve(
    conn: &mut AnyConnection,
    id: PaymentAlertId,
    by: UserId,
    note: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payment_alerts SET resolved_at = $2, resolved_by = $3, note = $4 \
         WHERE id = $1 AND resolved_at IS NULL",
    )
    .bind(id.to_text())
    .bind(micros(at))
    .bind(by.to_text())
    .bind(note)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
