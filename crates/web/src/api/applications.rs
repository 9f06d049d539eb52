//! Applications over the API: 新增申请, 修改保存, 提交, 撤回, 电子件, templates, payment,
//! 订单管理, and for staff 代办事宜, review and 导出申领信息. Each handler calls the one
//! `app` function the pages call; `app` decides who may do what.

use app::applications::{
    self, ApplicationInput, ApplicationView, DocumentView, HandOverInput, KeyReadout,
    KeyReadoutInput, ListQuery, ListView, ProduceInput, ReviewDecision, ReviewInput, ShipInput,
    StartInput, SubmitInput,
};
use app::payments::{self, PaymentView};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::application::DocumentKind;
use domain::ids::{ApplicationId, DocumentId};
use serde::{Deserialize, Serialize};

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// The largest request body the upload route reads: a little over the 10 MB a document
/// may have, so a file just over the limit is refused by `app` with the field named.
pub const UPLOAD_BODY_LIMIT: usize = 11 * 1024 * 1024;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn application_id(api: &Api, raw: &str) -> Result<ApplicationId, ApiError> {
    ApplicationId::parse(raw).map_err(|_| api.fail(app::Error::NotFound))
}

/// 修改保存: the form as typed, and the version the applicant saw.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SaveBody {
    #[serde(flatten)]
    pub form: ApplicationInput,
    /// The `version` of the application as last read; a stale one is refused (409).
    pub version: Option<i64>,
}

/// 通过 / 退回 / 拒绝, with what the stage asks for.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewBody {
    pub decision: ReviewDecision,
    #[serde(flatten)]
    pub input: ReviewInput,
}

/// How the payment stands after asking the provider (刷新支付状态).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentState {
    /// The application's status after the refresh (e.g. `awaiting_first_review` once paid).
    pub status: String,
    pub paid: bool,
    pub payment: Option<PaymentView>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct UploadParams {
    /// The file's name as the applicant has it (e.g. `营业执照.pdf`); its extension
    /// must agree with the content.
    pub file_name: String,
}

async fn view_of(
    state: &AppState,
    api: &Api,
    id: ApplicationId,
) -> Result<ApplicationView, ApiError> {
    let actor = api.actor()?;
    applications::view(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))
}

/// 新增申请: choose kind, certificate type and channel, and agree to the terms. Returns the draft.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", security(("bearer" = [])),
    request_body = StartInput,
    responses((status = 201, body = ApplicationView), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<StartInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = applications::start(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    let view = view_of(&state, &api, id).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// 订单管理: the organisation's orders (an individual's own; staff see all), newest first,
/// 20 a page.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ListView), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<ListView>, ApiError> {
    let actor = api.actor()?;
    applications::list(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// The order: status, steps, amount, documents, 流程审批记录, payment and the actions allowed now.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = application_id(&api, &id)?;
    view_of(&state, &api, id).await.map(Json)
}

/// 修改保存: saves the form as typed, valid or not, while the application is being filled.
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SaveBody,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(body): Body<SaveBody>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::save(&state.app, actor, id, &body.form, body.version)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// 提交: every field and the required documents are checked; the order moves on to
/// payment or review. A second submit (a double click) is refused with 409.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SubmitInput,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<SubmitInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::submit(&state.app, actor, id, &input)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// 读取: the certificate on the applicant's USB key (sent by `certdesk token read --order`)
/// fills in the order's certificate, saved as a draft; the answer is what the CA recorded
/// of it (锁中现有的信息). Refused: a certificate not issued here, not the owner's, of
/// another type, or revoked; an order that is not editable.
#[utoipa::path(post, path = "/api/v1/applications/{id}/key-readout", tag = "applications",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = KeyReadoutInput,
    responses((status = 200, body = KeyReadout), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn key_readout(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<KeyReadoutInput>,
) -> Result<Json<KeyReadout>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::read_key(&state.app, actor, id, &input)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 撤回: only before payment (一旦申请，不能退办).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::withdraw(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// Uploads one 电子件 of the kind named in the path. The request body is the file itself (raw bytes, any
/// `Content-Type`: the type is read from the content), its name in `?file_name=`.
/// JPG, PNG or PDF up to 10 MB. A file of another type, too big, or whose extension
/// does not match its content is refused (422, or 413 when the body passes 11 MB),
/// with the document kind as the field, and nothing is stored. A newer upload
/// supersedes the previous one of the same kind.
#[utoipa::path(put, path = "/api/v1/applications/{id}/documents/{document}", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path),
        ("document" = String, Path, description = "The document kind: handler_id | legal_rep_id | business_licence | uscc_certificate | power_of_attorney | application_form | statement | seal_image"),
        UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes (JPG, PNG or PDF, at most 10 MB)."),
    responses((status = 201, body = DocumentView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 413, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    api: Api,
    Path((id, kind)): Path<(String, String)>,
    Query(params): Query<UploadParams>,
    request: Request,
) -> Result<Response, ApiError> {
    // Who is asking is settled before the body is read.
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    // The field a refusal names: the document kind (app names an unknown one itself).
    let field = DocumentKind::parse(&kind).map_or("document_kind", DocumentKind::as_str);
    // Bytes reads at most the route's DefaultBodyLimit.
    let content = match Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(BytesRejection::FailedToBufferBody(e))
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            let mut errors = app::FieldErrors::new();
            errors.add(field, "document.too_large");
            let mut r = api.fail(app::Error::Invalid(errors)).into_response();
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => {
            tracing::debug!(rejection = %e, "upload body unreadable");
            return Err(api.fail(app::Error::Refused("error.bad_request")));
        }
    };
    let doc =
        applications::upload_document(&state.app, actor, id, &kind, &params.file_name, &content)
            .await
            .map_err(|e| api.fail(e))?;
    let view = view_of(&state, &api, id).await?;
    let uploaded = view
        .requirements
        .into_iter()
        .filter_map(|r| r.uploaded)
        .find(|d| d.id == doc)
        .ok_or_else(|| api.fail(app::Error::Internal(format!("document {doc} not shown"))))?;
    Ok((StatusCode::CREATED, Json(uploaded)).into_response())
}

/// Downloads a document, for the applicant's organisation and for staff.
#[utoipa::path(get, path = "/api/v1/applications/{id}/documents/{document}", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path), ("document" = String, Path, description = "The document's id (`requirements[].uploaded.id`)")),
    responses((status = 200, description = "The file, with its type and `Content-Disposition: attachment; filename*=UTF-8''…`",
        content_type = "application/octet-stream"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    api: Api,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let document = DocumentId::parse(&document_id).map_err(|_| api.fail(app::Error::NotFound))?;
    let d = applications::download_document(&state.app, actor, id, document)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(file_response(d.content_type, &d.file_name, d.content))
}

/// 法人授权委托书, CA证书申请表 or 情况说明书 as .docx, prefilled with the organisation's
/// and the order's data as saved.
#[utoipa::path(get, path = "/api/v1/applications/{id}/templates/{template}", tag = "applications",
    security(("bearer" = [])),
    params(("id" = String, Path),
        ("template" = String, Path, description = "power_of_attorney | application_form | statement")),
    responses((status = 200, description = "The .docx file",
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    api: Api,
    Path((id, template)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let t = applications::render_template(&state.app, actor, id, &template)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(file_response(DOCX, t.file_name, t.content))
}

/// Which provider to pay with.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct PayRequest {
    /// `wechat`, `alipay` or `sandbox`, as this deployment offers (the order's
    /// `payment_providers`); absent keeps the open code's provider, or the default.
    pub provider: Option<String>,
}

/// 网上支付: opens (or shows again) the QR code for the amount due: `code_url` is what
/// the code carries, `amount` is in fen. A double click opens one trade; a code that
/// expired, or one at another provider than asked, is closed and replaced. The body is
/// optional.
#[utoipa::path(post, path = "/api/v1/applications/{id}/payment", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<PayRequest>),
    responses((status = 200, body = PaymentView), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    body: Option<Json<PayRequest>>,
) -> Result<Json<PaymentView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let provider = body.and_then(|Json(b)| b.provider);
    payments::pay(&state.app, actor, id, provider.as_deref())
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 刷新支付状态 / 支付结果查询: asks the provider and records a payment that arrived, once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/payment/refresh", tag = "applications",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PaymentState), (status = 403, body = ApiErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<PaymentState>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let payment = payments::refresh(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    let view = view_of(&state, &api, id).await?;
    Ok(Json(PaymentState {
        status: view.status.to_string(),
        paid: view.paid,
        payment,
    }))
}

/// 代办事宜 (staff): what waits for review (or, for operators, production), the longest
/// waiting first, with SLA due dates. `stage` picks first | final | production.
#[utoipa::path(get, path = "/api/v1/queue", tag = "staff", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ListView), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<ListView>, ApiError> {
    let actor = api.actor()?;
    applications::queue(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 初审 / 终审 (reviewers): 通过, 退回 (comment required) or 拒绝 (final, refunds).
/// 终审 approval needs `paper_received`; 补办 初审 approval sets `overdue_months` and `overdue_fee`.
#[utoipa::path(post, path = "/api/v1/applications/{id}/review", tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReviewBody,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(body): Body<ReviewBody>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::review(&state.app, actor, id, body.decision, &body.input)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// 导出申领信息 (staff): the filtered orders as CSV (UTF-8 with BOM, Chinese headers).
#[utoipa::path(get, path = "/api/v1/applications/export.csv", tag = "staff", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let csv = applications::export_csv(&state.app, actor, &query)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(file_response(
        "text/csv; charset=utf-8",
        "申领信息.csv",
        csv.into_bytes(),
    ))
}

/// A file to save: its type, and its name in `Content-Disposition` (RFC 6266: an ASCII
/// `filename` for old clients and the real name as `filename*=UTF-8''…`).
fn file_response(content_type: &str, file_name: &str, content: Vec<u8>) -> Response {
    let mut r = content.into_response();
    let headers = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_disposition(file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

pub(crate) fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        // RFC 5987 attr-char is sent as is; every other byte percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn file_names_are_sent_as_utf8_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("营业执照 v2.pdf"),
            "attachment; filename=\"____ v2.pdf\"; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20v2.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\\c.png"),
            "attachment; filename=\"a_b_c.png\"; filename*=UTF-8''a%22b%5Cc.png"
        );
    }
}

/// What 制证 did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProducedBody {
    /// The new certificate's serial (upper-case hex); absent for 注销.
    pub serial: Option<String>,
    /// The new certificate, PEM.
    pub certificate: Option<String>,
    /// The issuing CA then the root, PEM.
    pub chain: Option<String>,
    /// The serial of the certificate revoked (补办, 信息变更, 注销).
    pub revoked: Option<String>,
    /// Certificates produced for the order so far, of `quantity`.
    pub issued: u32,
    pub quantity: u32,
    /// Whether the order moved on to delivery (or ended).
    pub complete: bool,
    /// A generated soft key with its certificate and chain, PKCS#12, base64: given once.
    pub pkcs12: Option<String>,
}

/// 制证: an operator at the service desk, or the applicant online (延期, 信息变更, 年检), as the
/// order's produce step says. Send the CSR made on the key (PEM, or base64 DER) and the
/// 锁序列号; or `generate: "yes"` with a `pkcs12_password` for a soft certificate. 注销 needs
/// neither. The certificate is recorded before it is returned.
#[utoipa::path(post, path = "/api/v1/applications/{id}/production", tag = "production", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ProduceInput,
    responses((status = 201, body = ProducedBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn produce(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(body): Body<ProduceInput>,
) -> Result<(StatusCode, Json<ProducedBody>), ApiError> {
    use base64::Engine as _;
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    let produced = applications::produce(&state.app, actor, id, &body)
        .await
        .map_err(|e| api.fail(e))?;
    let chain = state.app.ca().map(|ca| ca.chain_pem().to_owned());
    Ok((
        StatusCode::CREATED,
        Json(ProducedBody {
            serial: produced.certificate.as_ref().map(|c| c.serial.clone()),
            certificate: produced.certificate.as_ref().map(|c| c.to_pem()),
            chain: produced.certificate.as_ref().and(chain),
            revoked: produced.revoked,
            issued: produced.issued,
            quantity: produced.quantity,
            complete: produced.complete,
            pkcs12: produced
                .pkcs12
                .map(|p| base64::engine::general_purpose::STANDARD.encode(p.as_slice())),
        }),
    ))
}

/// 发货 (operators): the carrier and tracking number of a mailed key; the order shows 已发货.
#[utoipa::path(post, path = "/api/v1/applications/{id}/shipment", tag = "production", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ShipInput,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn ship(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(body): Body<ShipInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::ship(&state.app, actor, id, &body)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// 领取 (operators): the applicant's 领取码, typed at the service point; the order ends.
#[utoipa::path(post, path = "/api/v1/applications/{id}/handover", tag = "production", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = HandOverInput,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn hand_over(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(body): Body<HandOverInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::hand_over(&state.app, actor, id, &body)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}

/// 确认收货: a mailed key arrived (its applicant, or an operator); the order ends.
#[utoipa::path(post, path = "/api/v1/applications/{id}/receipt", tag = "production", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn confirm_receipt(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let actor = api.actor()?;
    let id = application_id(&api, &id)?;
    applications::confirm_receipt(&state.app, actor, id, None)
        .await
        .map_err(|e| api.fail(e))?;
    view_of(&state, &api, id).await.map(Json)
}
