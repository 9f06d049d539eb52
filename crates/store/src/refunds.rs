//! Refunds asked of payment providers, one row each, followed to their end. The row is
//! written before the provider is asked, so a refund cut off midway is found and asked
//! again under the same number (which the provider never pays twice).

use domain::Fen;
use domain::ids::{PaymentId, RefundId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// Where a refund stands. `Requested`: written, the provider not yet known to have it;
/// `Failed`: the provider refused or could not be reached, finance may ask again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundStatus {
    Requested,
    Processing,
    Succeeded,
    Closed,
    Abnormal,
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 6] = [
        RefundStatus::Requested,
        RefundStatus::Processing,
        RefundStatus::Succeeded,
        RefundStatus::Closed,
        RefundStatus::Abnormal,
        RefundStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Requested => "requested",
            RefundStatus::Processing => "processing",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Closed => "closed",
            RefundStatus::Abnormal => "abnormal",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RefundStatus> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The provider may still change it (or it has not been asked yet).
    pub fn is_open(self) -> bool {
        matches!(self, RefundStatus::Requested | RefundStatus::Processing)
    }
}

#[derive(Clone, Debug)]
pub struct RefundRecord {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub refund_no: String,
    pub amount: Fen,
    pub reason: String,
    pub status: RefundStatus,
    pub provider_refund_id: Option<String>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    payment_id: String,
    refund_no: String,
    amount: i64,
    reason: String,
    status: String,
    provider_refund_id: Option<String>,
    error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "r.id, r.payment_id, r.refund_no, r.amount, r.reason, r.status, \
                       r.provider_refund_id, r.error, r.created_at, r.updated_at";

impl TryFrom<Row> for RefundRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("refund {}: {w}", r.id));
        Ok(RefundRecord {
            id: RefundId::parse(&r.id).map_err(|_| corrupt("id"))?,
            payment_id: PaymentId::parse(&r.payment_id).map_err(|_| corrupt("payment"))?,
            status: RefundStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
            amount: Fen(r.amount),
            refund_no: r.refund_no,
            reason: r.reason,
            provider_refund_id: r.provider_refund_id,
            error: r.error,
        })
    }
}

pub struct NewRefund<'a> {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub refund_no: &'a str,
    pub amount: Fen,
    pub reason: &'a str,
    pub at: Timestamp,
}

/// Writes a refund as requested. A second one with the same number is a conflict
/// (`payment_refunds_refund_no_key`): the caller then follows the first.
pub async fn insert(conn: &mut AnyConnection, r: &NewRefund<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_refunds (id, payment_id, refund_no, amount, reason, status, \
         provider_refund_id, error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'requested', NULL, NULL, $6, $6)",
    )
    .bind(r.id.to_text())
    .bind(r.payment_id.to_text())
    .bind(r.refund_no)
    .bind(r.amount.0)
    .bind(r.reason)
    .bind(micros(r.at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records what the provider said. A refund that has ended (succeeded, closed) is not
/// changed again: a late or repeated notification changes nothing. Returns whether the
/// row changed.
pub async fn record(
    conn: &mut AnyConnection,
    id: RefundId,
    status: RefundStatus,
    provider_refund_id: Option<&str>,
    error: Option<&str>,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payment_refunds SET status = $2, provider_refund_id = COALESCE($3, provider_refund_id), \
         error = $4, updated_at = $5 \
         WHERE id = $1 AND status NOT IN ('succeeded', 'closed') AND status <> $2",
    )
    .bind(id.to_text())
    .bind(status.as_str())
    .bind(provider_refund_id)
    .bind(error)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_refund_no(
    conn: &mut AnyConnection,
    refund_no: &str,
) -> Result<Option<RefundRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_refunds r WHERE r.refund_no = $1"
    ))
    .bind(refund_no)
    .fetch_optional(conn)
    .await?;
    row.map(RefundRecord::try_from).transpose()
}

pub async fn get(
    conn: &mut AnyConnection,
    id: RefundId,
) -> Result<Option<RefundRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_refunds r WHERE r.id = $1"
    ))
    .bind(id.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(RefundRecord::try_from).transpose()
}

/// The refunds of a payment, oldest first.
pub async fn of_payment(
    conn: &mut AnyConnection,
    payment: PaymentId,
) -> Result<Vec<RefundRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_refunds r WHERE r.payment_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(payment.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(RefundRecord::try_from).collect()
}

/// Refunds the provider may still change, untouched since `before`, oldest first:
/// reconciliation asks about each.
pub async fn open_before(
    conn: &mut AnyConnection,
    before: Timestamp,
    limit: i64,
) -> Result<Vec<RefundRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_refunds r \
         WHERE r.status IN ('requested', 'processing') AND r.updated_at < $1 \
         ORDER BY r.updated_at LIMIT $2"
    ))
    .bind(micros(before))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(RefundRecord::try_from).collect()
}

/// What a listed refund adds to its columns, and where from.
const LISTED_FROM: &str = "p.out_trade_no, p.provider, a.order_number FROM payment_refunds r \
                           JOIN payments p ON p.id = r.payment_id \
                           JOIN applications a ON a.id = p.application_id";

/// A refund as finance lists it, with its payment's trade and order.
#[derive(Clone, Debug)]
pub struct Listed {
    pub refund: RefundRecord,
    pub out_trade_no: String,
    pub provider: String,
    pub order_number: String,
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: Row,
    out_trade_no: String,
    provider: String,
    order_number: String,
}

fn listed(rows: Vec<ListedRow>) -> Result<Vec<Listed>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok(Listed {
                refund: RefundRecord::try_from(r.row)?,
                out_trade_no: r.out_trade_no,
                provider: r.provider,
                order_number: r.order_number,
            })
        })
        .collect()
}

/// The refunds asked in `[from, to)`, optionally of one provider and status, newest first.
pub async fn search(
    conn: &mut AnyConnection,
    from: Timestamp,
    to: Timestamp,
    provider: Option<&str>,
    status: Option<RefundStatus>,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let rows: Vec<ListedRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {LISTED_FROM} \
         WHERE r.created_at >= $1 AND r.created_at < $2 \
         AND ($3 = '' OR p.provider = $3) AND ($4 = '' OR r.status = $4) \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $5"
    ))
    .bind(micros(from))
    .bind(micros(to))
    .bind(provider.unwrap_or(""))
    .bind(status.map(RefundStatus::as_str).unwrap_or(""))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    listed(rows)
}

/// Refunds that ended paid out in `[from, to)` (by their last change): the daily statement.
pub async fn succeeded_between(
    conn: &mut AnyConnection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Listed>, StoreError> {
    let rows: Vec<ListedRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {LISTED_FROM} \
         WHERE r.status = 'succeeded' AND r.updated_at >= $1 AND r.updated_at < $2 \
         ORDER BY r.updated_at, r.id"
    ))
    .bind(micros(from))
    .bind(micros(to))
    .fetch_all(conn)
    .await?;
    listed(rows)
}

/// The refunds of an application's payments, oldest first.
pub async fn of_application(
    conn: &mut AnyConnection,
    application: domain::ids::ApplicationId,
) -> Result<Vec<RefundRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_refunds r JOIN payments p ON p.id = r.payment_id \
         WHERE p.application_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(application.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(RefundRecord::try_from).collect()
}
