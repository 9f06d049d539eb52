//! 证书管理 over the API: the applicant's certificates, one certificate, its files, its
//! 关联平台; for staff the certificate search; for admins the profiles. Each handler calls
//! the one `app::certificates` function the pages call.

use app::certificates::{
    self, CertificateView, DownloadFormat, LinkInput, ListQuery, ListView, ProfilesView,
    SearchQuery,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// 证书管理: the organisation's certificates (an individual's own), newest first, 20 a page.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ListView), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<ListView>, ApiError> {
    let actor = api.actor()?;
    certificates::list(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// One certificate: subject, serial, fingerprint, key, order, revocation, 关联平台, and what
/// may be started from it. Another organisation's serial is 404.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}", tag = "certificates", security(("bearer" = [])),
    params(("serial" = String, Path, description = "hex, any case, colons allowed")),
    responses((status = 200, body = CertificateView), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    api: Api,
    Path(serial): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let actor = api.actor()?;
    certificates::view(&state.app, actor, &serial)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// The certificate as a file: `pem`, `cer` (DER) or `chain` (PEM: it, the issuing CA, the root);
/// `seal`: an e-seal certificate's bound seal image.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}/download/{format}", tag = "certificates",
    security(("bearer" = [])),
    params(("serial" = String, Path), ("format" = String, Path, description = "pem | cer | chain | seal (the 印章图片 of an e-seal certificate)")),
    responses((status = 200, description = "the file, as an attachment named for the serial"),
        (status = 404, body = ApiErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    api: Api,
    Path((serial, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let format = DownloadFormat::parse(&format).ok_or_else(|| api.fail(app::Error::NotFound))?;
    certificates::download(&state.app, actor, &serial, format)
        .await
        .map(crate::pages::certificate_file)
        .map_err(|e| api.fail(e))
}

/// 新增平台: links the certificate to an active 关联平台; linking twice is 409.
#[utoipa::path(post, path = "/api/v1/certificates/{serial}/platforms", tag = "certificates",
    security(("bearer" = [])), params(("serial" = String, Path)), request_body = LinkInput,
    responses((status = 201, body = CertificateView), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    api: Api,
    Path(serial): Path<String>,
    Body(input): Body<LinkInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    certificates::link_platform(&state.app, actor, &serial, &input)
        .await
        .map_err(|e| api.fail(e))?;
    let view = certificates::view(&state.app, actor, &serial)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Ends the certificate's link to a platform (the link stays on record).
#[utoipa::path(delete, path = "/api/v1/certificates/{serial}/platforms/{platform}", tag = "certificates",
    security(("bearer" = [])), params(("serial" = String, Path), ("platform" = String, Path)),
    responses((status = 200, body = CertificateView), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn unlink(
    State(state): State<AppState>,
    api: Api,
    Path((serial, platform)): Path<(String, String)>,
) -> Result<Json<CertificateView>, ApiError> {
    let actor = api.actor()?;
    certificates::unlink_platform(&state.app, actor, &serial, &platform)
        .await
        .map_err(|e| api.fail(e))?;
    certificates::view(&state.app, actor, &serial)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Staff: search certificates by serial (or its start), organisation name, USCC or holder.
#[utoipa::path(get, path = "/api/v1/admin/certificates", tag = "staff", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = ListView), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<SearchQuery>,
) -> Result<Json<ListView>, ApiError> {
    let actor = api.actor()?;
    certificates::search(&state.app, actor, &query)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Admins: the certificate profiles and the CA's AIA / CRL URLs.
#[utoipa::path(get, path = "/api/v1/admin/ca/profiles", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ProfilesView), (status = 403, body = ApiErrorBody)))]
pub async fn profiles(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<ProfilesView>, ApiError> {
    let actor = api.actor()?;
    certificates::profiles(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}
