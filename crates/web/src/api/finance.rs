//! The finance desk over the API: payments, refunds (and asking again for a failed one),
//! the alerts about notifications that did not add up, and the daily statement as CSV.
//! Each handler calls the one `app::payments::finance` function the pages call.

use app::payments::finance::{self, AlertRow, FinanceQuery, PaymentsPage, RefundsPage};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// 支付记录: payments whose code was opened between `from` and `to` (days, inclusive;
/// default the last 30 days), by provider and status, with totals over all of them.
#[utoipa::path(get, path = "/api/v1/finance/payments", tag = "finance", security(("bearer" = [])),
    params(FinanceQuery),
    responses((status = 200, body = PaymentsPage), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn payments(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<FinanceQuery>,
) -> Result<Json<PaymentsPage>, ApiError> {
    let actor = api.actor()?;
    finance::payments(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 退款记录: refunds asked between `from` and `to`, by provider and status.
#[utoipa::path(get, path = "/api/v1/finance/refunds", tag = "finance", security(("bearer" = [])),
    params(FinanceQuery),
    responses((status = 200, body = RefundsPage), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn refunds(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<FinanceQuery>,
) -> Result<Json<RefundsPage>, ApiError> {
    let actor = api.actor()?;
    finance::refunds(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 重试退款: asks the provider again for a failed refund (same refund number, so it is
/// never paid twice). 204; 409 when the refund has not failed.
#[utoipa::path(post, path = "/api/v1/finance/refunds/{id}/retry", tag = "finance",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn retry_refund(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    finance::retry_refund(&state.app, actor, &id)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| api.fail(e))
}

/// 异常通知: verified notifications refused because they named another amount or
/// merchant, a trade we never opened, or paid an order twice. Unresolved first.
#[utoipa::path(get, path = "/api/v1/finance/alerts", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = Vec<AlertRow>), (status = 403, body = ApiErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<AlertRow>>, ApiError> {
    let actor = api.actor()?;
    finance::alerts(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResolveInput {
    /// What finance did about it (required).
    pub note: String,
}

/// 标记已处理: 204; 409 when resolved already; 422 without a note.
#[utoipa::path(post, path = "/api/v1/finance/alerts/{id}/resolve", tag = "finance",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ResolveInput,
    responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn resolve_alert(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<ResolveInput>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    finance::resolve_alert(&state.app, actor, &id, &input.note)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct StatementParams {
    /// `YYYY-MM-DD` (Asia/Shanghai); empty is today.
    pub day: String,
}

/// 日结对账单: the day's receipts and refunds as CSV (UTF-8 with a BOM), totals last.
#[utoipa::path(get, path = "/api/v1/finance/statement", tag = "finance", security(("bearer" = [])),
    params(StatementParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    api: Api,
    Query(q): Query<StatementParams>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let csv = finance::statement_csv(&state.app, actor, &q.day)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )],
        csv,
    )
        .into_response())
}
