//! The built-in sandbox payment provider's books: trades it was asked to open, and
//! whether the payer confirmed them in its cashier. It plays the gateway's part, so it
//! keeps its own records apart from certdesk's `payments`.

use domain::Fen;
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct Trade {
    pub out_trade_no: String,
    pub amount: Fen,
    pub description: String,
    /// NOTPAY, SUCCESS, CLOSED or REFUND, as WeChat Pay names them.
    pub status: String,
    pub transaction_id: Option<String>,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub refunded_amount: Fen,
}

#[derive(FromRow)]
struct Row {
    out_trade_no: String,
    amount: i64,
    description: String,
    status: String,
    transaction_id: Option<String>,
    created_at: i64,
    paid_at: Option<i64>,
    refunded_amount: i64,
}

/// Opens a trade; opening the same trade number again is a no-op (a retried request).
pub async fn open(
    conn: &mut AnyConnection,
    out_trade_no: &str,
    amount: Fen,
    description: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sandbox_trades (out_trade_no, amount, description, status, created_at, refunded_amount) \
         VALUES ($1, $2, $3, 'NOTPAY', $4, 0) ON CONFLICT (out_trade_no) DO NOTHING",
    )
    .bind(out_trade_no)
    .bind(amount.0)
    .bind(description)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    out_trade_no: &str,
) -> Result<Option<Trade>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT out_trade_no, amount, description, status, transaction_id, created_at, paid_at, refunded_amount \
         FROM sandbox_trades WHERE out_trade_no = $1",
    )
    .bind(out_trade_no)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Trade {
            created_at: from_micros(r.created_at)?,
            paid_at: r.paid_at.map(from_micros).transpose()?,
            amount: Fen(r.amount),
            refunded_amount: Fen(r.refunded_amount),
            out_trade_no: r.out_trade_no,
            description: r.description,
            status: r.status,
            transaction_id: r.transaction_id,
        })
    })
    .transpose()
}

/// The payer confirmed. Returns false when the trade was not open for payment.
pub async fn confirm(
    conn: &mut AnyConnection,
    out_trade_no: &str,
    transaction_id: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sandbox_trades SET status = 'SUCCESS', transaction_id = $2, paid_at = $3 \
         WHERE out_trade_no = $1 AND status = 'NOTPAY'",
    )
    .bind(out_trade_no)
    .bind(transaction_id)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn close(conn: &mut AnyConnection, out_trade_no: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sandbox_trades SET status = 'CLOSED' WHERE out_trade_no = $1 AND status = 'NOTPAY'",
    )
    .bind(out_trade_no)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Refunds a paid trade in full. Returns false when it was not paid.
pub async fn refund(conn: &mut AnyConnection, out_trade_no: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sandbox_trades SET status = 'REFUND', refunded_amount = amount \
         WHERE out_trade_no = $1 AND status = 'SUCCESS'",
    )
    .bind(out_trade_no)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
