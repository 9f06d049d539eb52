//! The finance desk: payments and refunds filtered by day, provider and status, with
//! totals; the alerts raised by notifications that did not add up; the daily statement
//! as CSV. Days are Asia/Shanghai calendar days.

use domain::Fen;
use domain::ids::{PaymentAlertId, RefundId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use store::payments::{Filter, PaymentStatus};
use store::refunds::RefundStatus;

use super::{RefundView, refund_view};
use crate::applications::list::csv_field;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// At most this many rows per list (the totals count them all).
const LIMIT: i64 = 500;

fn shanghai() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)
}

fn start_of(day: Date) -> Result<Timestamp, Error> {
    day.to_zoned(shanghai())
        .map(|z| z.timestamp())
        .map_err(|e| Error::Internal(format!("day {day}: {e}")))
}

/// The filter as typed: days `YYYY-MM-DD` (empty `from`: 30 days ago; empty `to`: today),
/// a provider name and a status, empty for all.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct FinanceQuery {
    pub from: String,
    pub to: String,
    pub provider: String,
    pub status: String,
}

/// The filter as understood: `[from, to]` inclusive days.
struct Parsed {
    from: Date,
    to: Date,
    provider: Option<String>,
    status: Option<String>,
}

fn parse(app: &App, q: &FinanceQuery, statuses: &[&str]) -> Result<Parsed, Error> {
    let today = app.now().to_zoned(shanghai()).date();
    let mut errors = FieldErrors::new();
    let mut day = |field: &'static str, s: &str, default: Date| -> Option<Date> {
        if s.is_empty() {
            return Some(default);
        }
        match s.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(field, "finance.error.date");
                None
            }
        }
    };
    let from = day(
        "from",
        &q.from,
        today.saturating_sub(jiff::Span::new().days(30)),
    );
    let to = day("to", &q.to, today);
    if !q.status.is_empty() && !statuses.contains(&q.status.as_str()) {
        errors.add("status", "finance.error.status");
    }
    if !q.provider.is_empty() && app.payments.get(&q.provider).is_none() {
        // A provider no longer configured still has its payments listed.
        if !q.provider.chars().all(|c| c.is_ascii_lowercase()) {
            errors.add("provider", "finance.error.provider");
        }
    }
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.add("to", "finance.error.range");
    }
    errors.into_result()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(Error::Internal("unreachable: days checked".into()));
    };
    Ok(Parsed {
        from,
        to,
        provider: (!q.provider.is_empty()).then(|| q.provider.clone()),
        status: (!q.status.is_empty()).then(|| q.status.clone()),
    })
}

/// A payment as finance lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentRow {
    pub order_number: String,
    pub out_trade_no: String,
    pub provider: String,
    /// In fen.
    pub amount: i64,
    pub status: String,
    pub transaction_id: Option<String>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<Timestamp>,
}

/// Count and sum of one status.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Total {
    pub status: String,
    pub count: i64,
    /// In fen.
    pub amount: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentsPage {
    /// The days listed, inclusive.
    pub from: String,
    pub to: String,
    pub rows: Vec<PaymentRow>,
    /// Per status, over every matching payment (not only the rows shown).
    pub totals: Vec<Total>,
    /// Received: paid and later refunded payments, in fen.
    pub received: i64,
    /// Providers this deployment offers.
    pub providers: Vec<String>,
}

/// The payment statuses finance filters by.
pub const PAYMENT_STATUSES: [&str; 4] = ["pending", "paid", "closed", "refunded"];

/// 支付记录: payments whose code was opened on the days asked.
pub async fn payments(app: &App, actor: &Actor, q: &FinanceQuery) -> Result<PaymentsPage, Error> {
    authorize(actor, Action::ViewPayments)?;
    let p = parse(app, q, &PAYMENT_STATUSES)?;
    let filter = Filter {
        from: start_of(p.from)?,
        to: start_of(
            p.to.tomorrow()
                .map_err(|e| Error::Internal(e.to_string()))?,
        )?,
        provider: p.provider.as_deref(),
        status: p.status.as_deref().and_then(PaymentStatus::parse),
    };
    let mut conn = app.store.conn().await?;
    let listed = store::payments::search(&mut conn, &filter, LIMIT).await?;
    let totals = store::payments::totals(&mut conn, &filter).await?;
    let received = totals
        .iter()
        .filter(|(s, _, _)| matches!(s, PaymentStatus::Paid | PaymentStatus::Refunded))
        .map(|(_, _, sum)| sum.0)
        .sum();
    Ok(PaymentsPage {
        from: p.from.to_string(),
        to: p.to.to_string(),
        rows: listed
            .into_iter()
            .map(|l| PaymentRow {
                order_number: l.order_number,
                out_trade_no: l.payment.out_trade_no,
                provider: l.payment.provider,
                amount: l.payment.amount.0,
                status: l.payment.status.as_str().into(),
                transaction_id: l.payment.provider_transaction_id,
                created_at: l.payment.created_at,
                paid_at: l.payment.paid_at,
            })
            .collect(),
        totals: totals
            .into_iter()
            .map(|(s, n, sum)| Total {
                status: s.as_str().into(),
                count: n,
                amount: sum.0,
            })
            .collect(),
        received,
        providers: app.payments.names().into_iter().map(String::from).collect(),
    })
}

/// A refund as finance lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RefundRow {
    /// For 退款重试.
    pub id: String,
    pub order_number: String,
    pub out_trade_no: String,
    pub provider: String,
    pub reason: String,
    pub error: Option<String>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[serde(flatten)]
    pub refund: RefundView,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RefundsPage {
    pub from: String,
    pub to: String,
    pub rows: Vec<RefundRow>,
    /// Paid out (succeeded), in fen, over the rows listed.
    pub refunded: i64,
    pub providers: Vec<String>,
}

/// The refund statuses finance filters by.
pub const REFUND_STATUSES: [&str; 6] = [
    "requested",
    "processing",
    "succeeded",
    "closed",
    "abnormal",
    "failed",
];

/// 退款记录: refunds asked on the days asked.
pub async fn refunds(app: &App, actor: &Actor, q: &FinanceQuery) -> Result<RefundsPage, Error> {
    authorize(actor, Action::ViewPayments)?;
    let p = parse(app, q, &REFUND_STATUSES)?;
    let mut conn = app.store.conn().await?;
    let listed = store::refunds::search(
        &mut conn,
        start_of(p.from)?,
        start_of(
            p.to.tomorrow()
                .map_err(|e| Error::Internal(e.to_string()))?,
        )?,
        p.provider.as_deref(),
        p.status.as_deref().and_then(RefundStatus::parse),
        LIMIT,
    )
    .await?;
    let refunded = listed
        .iter()
        .filter(|l| l.refund.status == RefundStatus::Succeeded)
        .map(|l| l.refund.amount.0)
        .sum();
    Ok(RefundsPage {
        from: p.from.to_string(),
        to: p.to.to_string(),
        rows: listed
            .into_iter()
            .map(|l| RefundRow {
                id: l.refund.id.to_text(),
                order_number: l.order_number,
                out_trade_no: l.out_trade_no,
                provider: l.provider,
                reason: l.refund.reason.clone(),
                error: l.refund.error.clone(),
                created_at: l.refund.created_at,
                refund: refund_view(&l.refund),
            })
            .collect(),
        refunded,
        providers: app.payments.names().into_iter().map(String::from).collect(),
    })
}

/// 退款重试 (finance): asks again for a refund the provider refused or failed.
pub async fn retry_refund(app: &App, actor: &Actor, id: &str) -> Result<(), Error> {
    let id = RefundId::parse(id).map_err(|_| Error::NotFound)?;
    super::refunds::retry(app, actor, id).await
}

/// A notification that did not add up, as finance sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AlertRow {
    pub id: String,
    pub provider: String,
    pub out_trade_no: String,
    /// amount_mismatch | merchant_mismatch | unknown_trade | second_payment
    pub kind: String,
    pub expected_amount: Option<i64>,
    pub notified_amount: Option<i64>,
    pub merchant: String,
    pub transaction_id: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub resolved: bool,
    pub note: Option<String>,
}

/// 异常通知: the alerts, unresolved first.
pub async fn alerts(app: &App, actor: &Actor) -> Result<Vec<AlertRow>, Error> {
    authorize(actor, Action::ViewPayments)?;
    let mut conn = app.store.conn().await?;
    let alerts = store::payment_alerts::list(&mut conn, LIMIT).await?;
    Ok(alerts
        .into_iter()
        .map(|a| AlertRow {
            id: a.id.to_text(),
            provider: a.provider,
            out_trade_no: a.out_trade_no,
            kind: a.kind.as_str().into(),
            expected_amount: a.expected_amount.map(|f| f.0),
            notified_amount: a.notified_amount.map(|f| f.0),
            merchant: a.merchant,
            transaction_id: a.transaction_id,
            created_at: a.created_at,
            resolved: a.resolved_at.is_some(),
            note: a.note,
        })
        .collect())
}

/// 处理完毕: finance looked into an alert; `note` says what was done (required).
pub async fn resolve_alert(app: &App, actor: &Actor, id: &str, note: &str) -> Result<(), Error> {
    authorize(actor, Action::ManagePayments)?;
    let id = PaymentAlertId::parse(id).map_err(|_| Error::NotFound)?;
    if note.trim().is_empty() {
        return Err(Error::field("note", "finance.error.note"));
    }
    let Some(user) = actor.audit_id() else {
        return Err(Error::Forbidden);
    };
    let mut tx = app.store.begin().await?;
    if !store::payment_alerts::resolve(&mut tx, id, user, note, app.now()).await? {
        return Err(Error::Refused("finance.alert_resolved"));
    }
    store::audit::append(
        &mut tx,
        app.now(),
        Some(user),
        "payment_alert.resolve",
        &id.to_text(),
        "",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// 日结对账单: what was received and refunded on one day, as CSV (UTF-8 with a BOM), with
/// the totals at the end. `day` is `YYYY-MM-DD`; empty is today.
pub async fn statement_csv(app: &App, actor: &Actor, day: &str) -> Result<String, Error> {
    authorize(actor, Action::ViewPayments)?;
    let day = if day.is_empty() {
        app.now().to_zoned(shanghai()).date()
    } else {
        day.parse::<Date>()
            .map_err(|_| Error::field("day", "finance.error.date"))?
    };
    let from = start_of(day)?;
    let to = start_of(day.tomorrow().map_err(|e| Error::Internal(e.to_string()))?)?;
    let mut conn = app.store.conn().await?;
    let paid = store::payments::paid_between(&mut conn, from, to).await?;
    let refunded = store::refunds::succeeded_between(&mut conn, from, to).await?;
    let time = |t: Timestamp| {
        t.to_zoned(shanghai())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let mut out =
        String::from("\u{feff}类型,时间,订单号,商户订单号,支付渠道,交易号/退款单号,金额(元)\r\n");
    // Text is quoted and defused; the amount, ours and numeric, is written as it is so a
    // spreadsheet adds it up (a refund is negative).
    let mut line = |text: [String; 6], amount: String| {
        for f in &text {
            out.push_str(&csv_field(f));
            out.push(',');
        }
        out.push_str(&amount);
        out.push_str("\r\n");
    };
    let mut received = Fen::ZERO;
    for l in &paid {
        received = Fen(received.0 + l.payment.amount.0);
        line(
            [
                "收款".into(),
                l.payment.paid_at.map(time).unwrap_or_default(),
                l.order_number.clone(),
                l.payment.out_trade_no.clone(),
                provider_zh(&l.payment.provider).into(),
                l.payment
                    .provider_transaction_id
                    .clone()
                    .unwrap_or_default(),
            ],
            l.payment.amount.yuan_string(),
        );
    }
    let mut given_back = Fen::ZERO;
    for l in &refunded {
        given_back = Fen(given_back.0 + l.refund.amount.0);
        line(
            [
                "退款".into(),
                time(l.refund.updated_at),
                l.order_number.clone(),
                l.out_trade_no.clone(),
                provider_zh(&l.provider).into(),
                l.refund.refund_no.clone(),
            ],
            format!("-{}", l.refund.amount.yuan_string()),
        );
    }
    line(
        [
            "合计".into(),
            day.to_string(),
            format!("收款 {} 笔", paid.len()),
            format!("退款 {} 笔", refunded.len()),
            String::new(),
            format!(
                "收款 {} 元，退款 {} 元",
                received.yuan_string(),
                given_back.yuan_string()
            ),
        ],
        Fen(received.0 - given_back.0).yuan_string(),
    );
    Ok(out)
}

/// The provider's name as finance reads it.
pub fn provider_zh(name: &str) -> &'static str {
    match name {
        "wechat" => "微信支付",
        "alipay" => "支付宝",
        "sandbox" => "模拟支付",
        _ => "其他",
    }
}
