//! Invoices over the API: an order's 开票信息 (read, ask or change), 发票管理 (the applicant's
//! invoices and their PDFs) and finance's desk (the queue, issuing with the PDF, 已寄出,
//! 已领取). Each handler calls the `app::invoices` function the pages call.

use app::invoices::{
    self, InvoiceInput, InvoiceQuery, InvoiceSummary, InvoiceView, IssueInput, OrderInvoice,
    ShipInvoiceInput,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ids::ApplicationId;

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// The largest body the issue route reads: a little over the PDF limit, so a file just over
/// it is refused by `app` with the field named.
pub const ISSUE_BODY_LIMIT: usize = invoices::MAX_PDF + 64 * 1024;

fn application_id(api: &Api, raw: &str) -> Result<ApplicationId, ApiError> {
    ApplicationId::parse(raw).map_err(|_| api.fail(app::Error::NotFound))
}

/// The order's 开票信息: the invoice asked for, or the form prefilled with the owner's last details.
#[utoipa::path(get, path = "/api/v1/applications/{id}/invoice", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = OrderInvoice), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn order_invoice(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<OrderInvoice>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::for_order(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 申请发票 / 修改开票信息: until finance issues it. Bad fields: 422 with every field's message;
/// issued already or changed meanwhile: 409.
#[utoipa::path(put, path = "/api/v1/applications/{id}/invoice", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = InvoiceInput,
    responses((status = 200, body = InvoiceView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<InvoiceInput>,
) -> Result<Json<InvoiceView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::request(&state.app, actor, id, &input)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 发票管理: the invoices of the caller's organisation (or an individual's own), newest first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", security(("bearer" = [])),
    params(InvoiceQuery),
    responses((status = 200, body = Vec<InvoiceSummary>), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<InvoiceQuery>,
) -> Result<Json<Vec<InvoiceSummary>>, ApiError> {
    let actor = api.actor()?;
    invoices::list_own(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// The issued invoice's PDF (its owner, finance); 404 before it is issued.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, content_type = "application/pdf", description = "the invoice PDF, as an attachment"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::download_pdf(&state.app, actor, id)
        .await
        .map(crate::pages::invoice_pdf)
        .map_err(|e| api.fail(e))
}

/// Finance's queue: invoices of paid orders, oldest first (`status=pending` 待开票, `issued` 已开票).
#[utoipa::path(get, path = "/api/v1/finance/invoices", tag = "invoices", security(("bearer" = [])),
    params(InvoiceQuery),
    responses((status = 200, body = Vec<InvoiceSummary>), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<InvoiceQuery>,
) -> Result<Json<Vec<InvoiceSummary>>, ApiError> {
    let actor = api.actor()?;
    invoices::queue(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// One invoice on finance's desk.
#[utoipa::path(get, path = "/api/v1/finance/invoices/{id}", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, body = InvoiceView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::desk_view(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 开票: the number, code and date in the query, the PDF as the body (required for a 数电票;
/// may be empty for a paper one). Not paid, issued already or changed meanwhile: 409.
#[utoipa::path(post, path = "/api/v1/finance/invoices/{id}/issue", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order's id"), IssueInput),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "The invoice PDF (at most 10 MB)."),
    responses((status = 200, body = InvoiceView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 413, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Query(input): Query<IssueInput>,
    request: Request,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let content = match Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(BytesRejection::FailedToBufferBody(e))
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            let mut errors = app::FieldErrors::new();
            errors.add("pdf", "invoice.pdf_too_large");
            let mut r = api.fail(app::Error::Invalid(errors)).into_response();
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => {
            tracing::debug!(rejection = %e, "invoice PDF unreadable");
            return Err(api.fail(app::Error::Refused("error.bad_request")));
        }
    };
    let pdf = (!content.is_empty()).then_some(&content[..]);
    invoices::issue(&state.app, actor, id, &input, pdf)
        .await
        .map(|v| Json(v).into_response())
        .map_err(|e| api.fail(e))
}

/// 已寄出: a mailed paper invoice left, with carrier and tracking number.
#[utoipa::path(post, path = "/api/v1/finance/invoices/{id}/shipment", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order's id")), request_body = ShipInvoiceInput,
    responses((status = 200, body = InvoiceView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn ship(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<ShipInvoiceInput>,
) -> Result<Json<InvoiceView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::mark_shipped(&state.app, actor, id, &input)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 已领取: a paper invoice was picked up at the service point.
#[utoipa::path(post, path = "/api/v1/finance/invoices/{id}/collection", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, body = InvoiceView), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn collect(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    invoices::mark_collected(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}
