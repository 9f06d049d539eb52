//! 代办事宜 (the staff queue), 导出申领信息 (CSV), and the sandbox provider's cashier.

use app::applications::{self, ListQuery};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::orders::{Plain, Row, disposition, listed, page_links, page_summary, rows, yuan};
use super::{Errors, NoticeQuery, Page, SignedIn, app_error, ok};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::message;
use crate::visitor::Visitor;

#[derive(Template)]
#[template(path = "queue.html")]
struct Queue {
    page: Page,
    query: ListQuery,
    rows: Vec<Row>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
    errors: Errors,
    export: String,
}

pub async fn queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "queue.title").with_notice(notice.notice.as_deref());
    let (list, errors) = match listed(
        visitor,
        applications::queue(&state.app, actor, &query).await,
    ) {
        Ok(listed) => listed,
        Err(e) => return app_error(visitor, &e),
    };
    let (prev, next) = page_links("/queue", &query, &list);
    let mut export_query = query.clone();
    export_query.page = None;
    ok(&Queue {
        rows: rows(&page, &list),
        summary: page_summary(&page, &list),
        export: format!(
            "/queue/export.csv?{}",
            serde_urlencoded::to_string(&export_query).unwrap_or_default()
        ),
        page,
        query,
        prev,
        next,
        errors,
    })
}

/// 导出申领信息: the filtered orders as CSV (Chinese headers, for Excel).
pub async fn export(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match applications::export_csv(&state.app, actor, &query).await {
        Ok(csv) => {
            let mut r = csv.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                disposition("attachment", "申领信息.csv"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => app_error(visitor, &e),
    }
}

#[derive(Template)]
#[template(path = "cashier.html")]
struct Cashier {
    page: Page,
    trade: String,
    description: String,
    amount: String,
    status: String,
    problem: Option<String>,
}

/// The cashier for `trade`, with a refusal to show above it, if any.
async fn cashier_page(
    state: &AppState,
    visitor: &Visitor,
    trade: &str,
    problem: Option<String>,
) -> Response {
    match app::payments::sandbox_trade(&state.app, trade).await {
        Ok(t) => ok(&Cashier {
            page: Page::new(visitor, "cashier.title"),
            trade: t.out_trade_no,
            description: t.description,
            amount: yuan(t.amount.0),
            status: t.status,
            problem,
        }),
        Err(e) => app_error(visitor, &e),
    }
}

/// The sandbox cashier: what the payer's phone opens from the QR code. Anyone
/// holding the code may pay, as with a real provider.
pub async fn cashier(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(trade): Path<String>,
) -> Response {
    cashier_page(&state, &visitor, &trade, None).await
}

/// 确认支付: the sandbox records the trade paid and notifies certdesk.
pub async fn cashier_confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(trade): Path<String>,
    CsrfForm(_): CsrfForm<Plain>,
) -> Response {
    match app::payments::sandbox_confirm(&state.app, &trade).await {
        Ok(()) => Redirect::to(&format!("/sandbox/pay/{trade}")).into_response(),
        Err(e @ app::Error::Refused(_)) => {
            let problem = message(visitor.lang, &e);
            cashier_page(&state, &visitor, &trade, Some(problem)).await
        }
        Err(e) => app_error(&visitor, &e),
    }
}
