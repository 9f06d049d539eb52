//! Payments of applications: one row per QR code issued. The database makes sure an
//! application is paid at most once (`payments_one_paid`), and a payment is marked
//! paid by a conditional update, so a notification and a query arriving together
//! record it once.

use domain::Fen;
use domain::ids::{ApplicationId, PaymentId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Closed,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Closed => "closed",
            PaymentStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        [Self::Pending, Self::Paid, Self::Closed, Self::Refunded]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[derive(Clone, Debug)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub application_id: ApplicationId,
    pub out_trade_no: String,
    pub provider: String,
    pub amount: Fen,
    pub status: PaymentStatus,
    pub code_url: String,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub provider_transaction_id: Option<String>,
    pub refunded_at: Option<Timestamp>,
    /// After this the code can no longer be paid; None for codes opened before expiry was kept.
    pub expires_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    application_id: String,
    out_trade_no: String,
    provider: String,
    amount: i64,
    status: String,
    code_url: String,
    created_at: i64,
    paid_at: Option<i64>,
    provider_transaction_id: Option<String>,
    refunded_at: Option<i64>,
    expires_at: Option<i64>,
}

const COLUMNS: &str = "id, application_id, out_trade_no, provider, amount, status, code_url, \
                       created_at, paid_at, provider_transaction_id, refunded_at, expires_at";

impl TryFrom<Row> for PaymentRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("payment {}: {w}", r.id));
        Ok(PaymentRecord {
            id: PaymentId::parse(&r.id).map_err(|_| corrupt("id"))?,
            application_id: ApplicationId::parse(&r.application_id)
                .map_err(|_| corrupt("application"))?,
            status: PaymentStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            created_at: from_micros(r.created_at)?,
            paid_at: r.paid_at.map(from_micros).transpose()?,
            refunded_at: r.refunded_at.map(from_micros).transpose()?,
            expires_at: r.expires_at.map(from_micros).transpose()?,
            amount: Fen(r.amount),
            out_trade_no: r.out_trade_no,
            provider: r.provider,
            code_url: r.code_url,
            provider_transaction_id: r.provider_transaction_id,
        })
    }
}

pub struct NewPayment<'a> {
    pub id: PaymentId,
    pub application_id: ApplicationId,
    pub out_trade_no: &'a str,
    pub provider: &'a str,
    pub amount: Fen,
    pub code_url: &'a str,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(conn: &mut AnyConnection, p: &NewPayment<'_>) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO payments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, NULL, NULL, NULL, $8)"
    ))
    .bind(p.id.to_text())
    .bind(p.application_id.to_text())
    .bind(p.out_trade_no)
    .bind(p.provider)
    .bind(p.amount.0)
    .bind(p.code_url)
    .bind(micros(p.at))
    .bind(micros(p.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest payment of an application.
pub async fn latest(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<PaymentRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE application_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(application.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(PaymentRecord::try_from).transpose()
}

pub async fn by_trade_no(
    conn: &mut AnyConnection,
    out_trade_no: &str,
) -> Result<Option<PaymentRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE out_trade_no = $1"
    ))
    .bind(out_trade_no)
    .fetch_optional(conn)
    .await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// Marks a pending (or superseded, closed) payment paid. Returns false when it was
/// already paid or refunded: the caller then records nothing. A second paid payment
/// of the same application is refused by `payments_one_paid` (an error).
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: PaymentId,
    transaction_id: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'paid', paid_at = $2, provider_transaction_id = $3 \
         WHERE id = $1 AND status IN ('pending', 'closed')",
    )
    .bind(id.to_text())
    .bind(micros(at))
    .bind(transaction_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes the pending payments of an application (a new QR code replaces them, or the
/// application ended).
/// Returns the payments closed, so their providers can be told after the commit.
pub async fn close_pending(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Vec<PaymentRecord>, StoreError> {
    let open: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE application_id = $1 AND status = 'pending'"
    ))
    .bind(application.to_text())
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE payments SET status = 'closed' WHERE application_id = $1 AND status = 'pending'",
    )
    .bind(application.to_text())
    .execute(conn)
    .await?;
    open.into_iter().map(PaymentRecord::try_from).collect()
}

/// Closes one pending payment, the one the caller saw (a newer code replaces it).
/// False when it was no longer pending: someone else closed or settled it meanwhile.
pub async fn close_if_pending(conn: &mut AnyConnection, id: PaymentId) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE payments SET status = 'closed' WHERE id = $1 AND status = 'pending'")
            .bind(id.to_text())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_code_url(
    conn: &mut AnyConnection,
    id: PaymentId,
    code_url: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE payments SET code_url = $2 WHERE id = $1")
        .bind(id.to_text())
        .bind(code_url)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_refunded(
    conn: &mut AnyConnection,
    id: PaymentId,
    refund_no: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'refunded', refund_no = $2, refunded_at = $3 \
         WHERE id = $1 AND status = 'paid'",
    )
    .bind(id.to_text())
    .bind(refund_no)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The paid payment of an application, if any (at most one: `payments_one_paid`).
pub async fn latest_paid(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<PaymentRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE application_id = $1 AND status = 'paid'"
    ))
    .bind(application.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// Codes still open that were opened before `before`, oldest first: reconciliation asks
/// the provider about each.
pub async fn pending_before(
    conn: &mut AnyConnection,
    before: Timestamp,
    limit: i64,
) -> Result<Vec<PaymentRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE status = 'pending' AND created_at < $1 \
         ORDER BY created_at LIMIT $2"
    ))
    .bind(micros(before))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(PaymentRecord::try_from).collect()
}

pub async fn get(
    conn: &mut AnyConnection,
    id: PaymentId,
) -> Result<Option<PaymentRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
        .bind(id.to_text())
        .fetch_optional(conn)
        .await?;
    row.map(PaymentRecord::try_from).transpose()
}

/// What the finance pages filter payments by: the day the code was opened falls in
/// `[from, to)`.
#[derive(Clone, Debug)]
pub struct Filter<'a> {
    pub from: Timestamp,
    pub to: Timestamp,
    pub provider: Option<&'a str>,
    pub status: Option<PaymentStatus>,
}

impl Filter<'_> {
    /// The WHERE clause and its arguments from `$1`.
    fn clause(&self) -> (String, Vec<String>) {
        let mut sql = String::from("p.created_at >= $1 AND p.created_at < $2");
        let mut args = Vec::new();
        if let Some(provider) = self.provider {
            args.push(provider.to_owned());
            sql.push_str(&format!(" AND p.provider = ${}", args.len() + 2));
        }
        if let Some(status) = self.status {
            args.push(status.as_str().to_owned());
            sql.push_str(&format!(" AND p.status = ${}", args.len() + 2));
        }
        (sql, args)
    }
}

/// [`COLUMNS`] of the table aliased `p`.
fn qualified() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A payment as finance lists it, with its order.
#[derive(Clone, Debug)]
pub struct Listed {
    pub payment: PaymentRecord,
    pub order_number: String,
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: Row,
    order_number: String,
}

fn listed(rows: Vec<ListedRow>) -> Result<Vec<Listed>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok(Listed {
                payment: PaymentRecord::try_from(r.row)?,
                order_number: r.order_number,
            })
        })
        .collect()
}

/// The payments matching `filter`, newest first.
pub async fn search(
    conn: &mut AnyConnection,
    filter: &Filter<'_>,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let (clause, args) = filter.clause();
    let columns = qualified();
    let sql = format!(
        "SELECT {columns}, a.order_number FROM payments p JOIN applications a ON a.id = p.application_id \
         WHERE {clause} ORDER BY p.created_at DESC, p.id DESC LIMIT ${}",
        args.len() + 3
    );
    let mut q = sqlx::query_as::<_, ListedRow>(&sql)
        .bind(micros(filter.from))
        .bind(micros(filter.to));
    for a in &args {
        q = q.bind(a.as_str());
    }
    let rows = q.bind(limit).fetch_all(conn).await?;
    listed(rows)
}

/// Count and sum per status of the payments matching `filter` (all of them, not a page).
pub async fn totals(
    conn: &mut AnyConnection,
    filter: &Filter<'_>,
) -> Result<Vec<(PaymentStatus, i64, Fen)>, StoreError> {
    let (clause, args) = filter.clause();
    let sql = format!(
        "SELECT p.status, COUNT(*), CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM payments p \
         WHERE {clause} \
         GROUP BY p.status"
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql)
        .bind(micros(filter.from))
        .bind(micros(filter.to));
    for a in &args {
        q = q.bind(a.as_str());
    }
    let rows = q.fetch_all(conn).await?;
    rows.into_iter()
        .map(|(s, n, sum)| {
            let status = PaymentStatus::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("payment status {s}")))?;
            Ok((status, n, Fen(sum)))
        })
        .collect()
}

/// Payments received in `[from, to)` (by the time they were paid), oldest first: the
/// daily statement.
pub async fn paid_between(
    conn: &mut AnyConnection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Listed>, StoreError> {
    let columns = qualified();
    let rows: Vec<ListedRow> = sqlx::query_as(&format!(
        "SELECT {columns}, a.order_number FROM payments p JOIN applications a ON a.id = p.application_id \
         WHERE p.paid_at >= $1 AND p.paid_at < $2 ORDER BY p.paid_at, p.id"
    ))
    .bind(micros(from))
    .bind(micros(to))
    .fetch_all(conn)
    .await?;
    listed(rows)
}
