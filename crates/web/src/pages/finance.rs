//! The finance desk: 支付记录 (/finance/payments), 退款记录 (/finance/refunds, with 重试退款),
//! 异常通知 (/finance/alerts, 标记已处理) and the 日结对账单 CSV (/finance/statement.csv).

use app::payments::finance::{
    self, AlertRow, FinanceQuery, PAYMENT_STATUSES, PaymentRow, REFUND_STATUSES, RefundRow,
    provider_zh,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::orders::{disposition, yuan};
use super::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, ok};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::message;

/// The filter form's choices: (code, label).
type Options = Vec<(String, String)>;

/// The providers this deployment offers.
fn provider_options(page: &Page, state: &AppState) -> Options {
    state
        .app
        .payment_providers()
        .into_iter()
        .map(|p| (p.to_owned(), page.label("payment_provider", p)))
        .collect()
}

fn status_options(page: &Page, prefix: &str, codes: &[&str]) -> Options {
    codes
        .iter()
        .map(|c| ((*c).to_owned(), page.label(prefix, c)))
        .collect()
}

/// A payment in the page's words.
pub struct PaymentLine {
    pub order: String,
    pub trade: String,
    pub provider: String,
    pub amount: String,
    pub status: String,
    pub status_code: String,
    pub transaction: String,
    pub created: String,
    pub paid: String,
}

fn payment_line(page: &Page, r: &PaymentRow) -> PaymentLine {
    PaymentLine {
        order: r.order_number.clone(),
        trade: r.out_trade_no.clone(),
        provider: provider_zh(&r.provider).into(),
        amount: yuan(r.amount),
        status: page.label("payment_status", &r.status),
        status_code: r.status.clone(),
        transaction: r.transaction_id.clone().unwrap_or_default(),
        created: local_date(r.created_at),
        paid: r.paid_at.map(local_date).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "finance_payments.html")]
struct Payments {
    page: Page,
    query: FinanceQuery,
    errors: Errors,
    rows: Vec<PaymentLine>,
    /// (status label, count, amount)
    totals: Vec<(String, i64, String)>,
    received: String,
    providers: Options,
    statuses: Options,
    statement: String,
}

pub async fn payments(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<FinanceQuery>,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "finance.payments").with_notice(notice.notice.as_deref());
    let (rows, totals, received, errors) = match finance::payments(&state.app, actor, &query).await
    {
        Ok(p) => (
            p.rows.iter().map(|r| payment_line(&page, r)).collect(),
            p.totals
                .iter()
                .map(|t| {
                    (
                        page.label("payment_status", &t.status),
                        t.count,
                        yuan(t.amount),
                    )
                })
                .collect(),
            yuan(p.received),
            Errors::default(),
        ),
        Err(app::Error::Invalid(fields)) => (
            Vec::new(),
            Vec::new(),
            yuan(0),
            Errors::new(visitor.lang, &fields),
        ),
        Err(e) => return app_error(visitor, &e),
    };
    ok(&Payments {
        providers: provider_options(&page, &state),
        statuses: status_options(&page, "payment_status", &PAYMENT_STATUSES),
        statement: query.to.clone(),
        page,
        query,
        errors,
        rows,
        totals,
        received,
    })
}

/// A refund in the page's words.
pub struct RefundLine {
    pub id: String,
    pub order: String,
    pub trade: String,
    pub provider: String,
    pub refund_no: String,
    pub amount: String,
    pub status: String,
    pub status_code: String,
    pub reason: String,
    pub error: String,
    pub created: String,
    pub updated: String,
}

fn refund_line(page: &Page, r: &RefundRow) -> RefundLine {
    RefundLine {
        id: r.id.clone(),
        order: r.order_number.clone(),
        trade: r.out_trade_no.clone(),
        provider: provider_zh(&r.provider).into(),
        refund_no: r.refund.refund_no.clone(),
        amount: yuan(r.refund.amount),
        status: page.label("refund_status", &r.refund.status),
        status_code: r.refund.status.clone(),
        reason: r.reason.clone(),
        error: r.error.clone().unwrap_or_default(),
        created: local_date(r.created_at),
        updated: local_date(r.refund.updated_at),
    }
}

#[derive(Template)]
#[template(path = "finance_refunds.html")]
struct Refunds {
    page: Page,
    query: FinanceQuery,
    errors: Errors,
    rows: Vec<RefundLine>,
    refunded: String,
    providers: Options,
    statuses: Options,
    problem: Option<String>,
}

pub async fn refunds(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<FinanceQuery>,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    refunds_page(&state, &signed_in, query, notice.notice.as_deref(), None).await
}

async fn refunds_page(
    state: &AppState,
    signed_in: &SignedIn,
    query: FinanceQuery,
    notice: Option<&str>,
    problem: Option<String>,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let page = Page::new(visitor, "finance.refunds").with_notice(notice);
    let (rows, refunded, errors) = match finance::refunds(&state.app, actor, &query).await {
        Ok(p) => (
            p.rows.iter().map(|r| refund_line(&page, r)).collect(),
            yuan(p.refunded),
            Errors::default(),
        ),
        Err(app::Error::Invalid(fields)) => {
            (Vec::new(), yuan(0), Errors::new(visitor.lang, &fields))
        }
        Err(e) => return app_error(visitor, &e),
    };
    ok(&Refunds {
        providers: provider_options(&page, state),
        statuses: status_options(&page, "refund_status", &REFUND_STATUSES),
        page,
        query,
        errors,
        rows,
        refunded,
        problem,
    })
}

/// 重试退款.
pub async fn retry_refund(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<super::orders::Plain>,
) -> Response {
    match finance::retry_refund(&state.app, &signed_in.actor, &id).await {
        Ok(()) => Redirect::to("/finance/refunds?notice=notice.refund_retried").into_response(),
        Err(e @ (app::Error::Refused(_) | app::Error::NotFound)) => {
            let problem = message(signed_in.visitor.lang, &e);
            refunds_page(
                &state,
                &signed_in,
                FinanceQuery::default(),
                None,
                Some(problem),
            )
            .await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

/// An alert in the page's words.
pub struct AlertLine {
    pub id: String,
    pub provider: String,
    pub trade: String,
    pub kind: String,
    pub expected: String,
    pub notified: String,
    pub merchant: String,
    pub transaction: String,
    pub created: String,
    pub resolved: bool,
    pub note: String,
}

fn alert_line(page: &Page, a: &AlertRow) -> AlertLine {
    AlertLine {
        id: a.id.clone(),
        provider: provider_zh(&a.provider).into(),
        trade: a.out_trade_no.clone(),
        kind: page.label("alert_kind", &a.kind),
        expected: a.expected_amount.map(yuan).unwrap_or_default(),
        notified: a.notified_amount.map(yuan).unwrap_or_default(),
        merchant: a.merchant.clone(),
        transaction: a.transaction_id.clone(),
        created: local_date(a.created_at),
        resolved: a.resolved,
        note: a.note.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "finance_alerts.html")]
struct Alerts {
    page: Page,
    rows: Vec<AlertLine>,
    /// The alert whose note was refused, what was typed, and why.
    failed: Option<(String, String, String)>,
}

pub async fn alerts(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    alerts_page(&state, &signed_in, notice.notice.as_deref(), None).await
}

async fn alerts_page(
    state: &AppState,
    signed_in: &SignedIn,
    notice: Option<&str>,
    failed: Option<(String, String, String)>,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let page = Page::new(visitor, "finance.alerts").with_notice(notice);
    match finance::alerts(&state.app, actor).await {
        Ok(rows) => ok(&Alerts {
            rows: rows.iter().map(|a| alert_line(&page, a)).collect(),
            page,
            failed,
        }),
        Err(e) => app_error(visitor, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    pub note: String,
}

/// 标记已处理: with a note of what was done.
pub async fn resolve_alert(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ResolveForm>,
) -> Response {
    match finance::resolve_alert(&state.app, &signed_in.actor, &id, &form.note).await {
        Ok(()) => Redirect::to("/finance/alerts?notice=notice.alert_resolved").into_response(),
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_) | app::Error::NotFound)) => {
            let why = match &e {
                app::Error::Invalid(fields) => Errors::new(signed_in.visitor.lang, fields)
                    .get("note")
                    .unwrap_or_default()
                    .to_owned(),
                _ => message(signed_in.visitor.lang, &e),
            };
            alerts_page(&state, &signed_in, None, Some((id, form.note, why))).await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatementQuery {
    pub day: String,
}

/// 日结对账单: one day's receipts and refunds as CSV.
pub async fn statement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<StatementQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match finance::statement_csv(&state.app, actor, &q.day).await {
        Ok(csv) => {
            let name = if q.day.is_empty() {
                "日结对账单.csv".to_owned()
            } else {
                format!("日结对账单-{}.csv", q.day)
            };
            let mut r = csv.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                disposition("attachment", &name),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => app_error(visitor, &e),
    }
}
