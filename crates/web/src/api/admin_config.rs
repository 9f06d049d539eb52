//! `/api/v1/admin/…`: the admin's configuration, the same `app::admin::config`
//! functions as the pages (admins only; anyone else gets 403).

use app::admin::config::{
    self, DayInput, DocumentNeedInput, DocumentSetView, FeeKeyInput, FeeRow, HolidaysView,
    PlatformInput, PlatformView, ProcedureView, ServicePointInput, ServicePointView,
    SetDocumentsInput, SetPriceInput, SetProcedureInput, SettingsInput, SettingsView,
};
use app::interconnect::{self, GeneratedKey, PlatformKeyView};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::{PlatformId, ServicePointId};
use serde::{Deserialize, Serialize};

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// What a change answers: the value in force afterwards.
type Answer<T> = Result<Json<T>, ApiError>;

// ---- settings ----

/// The shipping fee and the review SLA, with where each comes from.
#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 403, body = ApiErrorBody)))]
pub async fn settings(State(state): State<AppState>, api: Api) -> Answer<SettingsView> {
    let actor = api.actor()?;
    config::settings(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Sets both settings.
#[utoipa::path(put, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])),
    request_body = SettingsInput,
    responses((status = 200, body = SettingsView), (status = 422, body = ApiErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<SettingsInput>,
) -> Answer<SettingsView> {
    let actor = api.actor()?;
    config::update_settings(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    settings(State(state), api).await
}

/// Back to the shipped default: `shipping_fee` or `review_sla_days`.
#[utoipa::path(delete, path = "/api/v1/admin/settings/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "shipping_fee | review_sla_days")),
    responses((status = 200, body = SettingsView), (status = 404, body = ApiErrorBody)))]
pub async fn reset_setting(
    State(state): State<AppState>,
    api: Api,
    Path(name): Path<String>,
) -> Answer<SettingsView> {
    let actor = api.actor()?;
    config::reset_setting(&state.app, actor, &name)
        .await
        .map_err(|e| api.fail(e))?;
    settings(State(state), api).await
}

// ---- fees ----

/// 收费标准: every kind × certificate type × channel, with the price in force.
#[utoipa::path(get, path = "/api/v1/admin/fees", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<FeeRow>), (status = 403, body = ApiErrorBody)))]
pub async fn fees(State(state): State<AppState>, api: Api) -> Answer<Vec<FeeRow>> {
    let actor = api.actor()?;
    config::fees(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct PriceBody {
    /// 元 per certificate per year: `300`, `299.90`.
    pub price: String,
}

/// Sets one price.
#[utoipa::path(put, path = "/api/v1/admin/fees/{kind}/{cert_type}/{channel}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("cert_type" = String, Path), ("channel" = String, Path)),
    request_body = PriceBody,
    responses((status = 200, body = Vec<FeeRow>), (status = 422, body = ApiErrorBody)))]
pub async fn set_price(
    State(state): State<AppState>,
    api: Api,
    Path((kind, cert_type, channel)): Path<(String, String, String)>,
    Body(body): Body<PriceBody>,
) -> Answer<Vec<FeeRow>> {
    let actor = api.actor()?;
    let input = SetPriceInput {
        kind,
        cert_type,
        channel,
        price: body.price,
    };
    config::set_price(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    fees(State(state), api).await
}

/// Back to the shipped price.
#[utoipa::path(delete, path = "/api/v1/admin/fees/{kind}/{cert_type}/{channel}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("cert_type" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = Vec<FeeRow>), (status = 422, body = ApiErrorBody)))]
pub async fn reset_price(
    State(state): State<AppState>,
    api: Api,
    Path((kind, cert_type, channel)): Path<(String, String, String)>,
) -> Answer<Vec<FeeRow>> {
    let actor = api.actor()?;
    let input = FeeKeyInput {
        kind,
        cert_type,
        channel,
    };
    config::reset_price(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    fees(State(state), api).await
}

// ---- procedures ----

/// 办理流程: every kind × channel with its steps.
#[utoipa::path(get, path = "/api/v1/admin/procedures", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProcedureView>), (status = 403, body = ApiErrorBody)))]
pub async fn procedures(State(state): State<AppState>, api: Api) -> Answer<Vec<ProcedureView>> {
    let actor = api.actor()?;
    config::procedures(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// One kind × channel.
#[utoipa::path(get, path = "/api/v1/admin/procedures/{kind}/{channel}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = ProcedureView), (status = 404, body = ApiErrorBody)))]
pub async fn procedure(
    State(state): State<AppState>,
    api: Api,
    Path((kind, channel)): Path<(String, String)>,
) -> Answer<ProcedureView> {
    let actor = api.actor()?;
    config::procedure(&state.app, actor, &kind, &channel)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct StepsBody {
    /// Comma-separated step codes: `fill,pay,review:first,produce:operator,deliver`.
    pub steps: String,
}

/// Sets the steps; a procedure that could issue anything unpaid or unapproved is refused (422, field `steps`).
#[utoipa::path(put, path = "/api/v1/admin/procedures/{kind}/{channel}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("channel" = String, Path)),
    request_body = StepsBody,
    responses((status = 200, body = ProcedureView), (status = 422, body = ApiErrorBody)))]
pub async fn set_procedure(
    State(state): State<AppState>,
    api: Api,
    Path((kind, channel)): Path<(String, String)>,
    Body(body): Body<StepsBody>,
) -> Answer<ProcedureView> {
    let actor = api.actor()?;
    let input = SetProcedureInput {
        kind: kind.clone(),
        channel: channel.clone(),
        steps: body.steps,
    };
    config::set_procedure(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    procedure(State(state), api, Path((kind, channel))).await
}

/// Back to the shipped procedure.
#[utoipa::path(delete, path = "/api/v1/admin/procedures/{kind}/{channel}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = ProcedureView), (status = 422, body = ApiErrorBody)))]
pub async fn reset_procedure(
    State(state): State<AppState>,
    api: Api,
    Path((kind, channel)): Path<(String, String)>,
) -> Answer<ProcedureView> {
    let actor = api.actor()?;
    config::reset_procedure(&state.app, actor, &kind, &channel)
        .await
        .map_err(|e| api.fail(e))?;
    procedure(State(state), api, Path((kind, channel))).await
}

// ---- documents ----

/// 所需材料: every kind × certificate type with each document's need.
#[utoipa::path(get, path = "/api/v1/admin/documents", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<DocumentSetView>), (status = 403, body = ApiErrorBody)))]
pub async fn document_sets(
    State(state): State<AppState>,
    api: Api,
) -> Answer<Vec<DocumentSetView>> {
    let actor = api.actor()?;
    config::document_sets(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// One kind × certificate type.
#[utoipa::path(get, path = "/api/v1/admin/documents/{kind}/{cert_type}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("cert_type" = String, Path)),
    responses((status = 200, body = DocumentSetView), (status = 404, body = ApiErrorBody)))]
pub async fn document_set(
    State(state): State<AppState>,
    api: Api,
    Path((kind, cert_type)): Path<(String, String)>,
) -> Answer<DocumentSetView> {
    let actor = api.actor()?;
    config::document_set(&state.app, actor, &kind, &cert_type)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct DocumentsBody {
    /// Documents not listed are not asked for.
    pub documents: Vec<DocumentNeedInput>,
}

/// Replaces the list of one kind × certificate type.
#[utoipa::path(put, path = "/api/v1/admin/documents/{kind}/{cert_type}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("cert_type" = String, Path)),
    request_body = DocumentsBody,
    responses((status = 200, body = DocumentSetView), (status = 422, body = ApiErrorBody)))]
pub async fn set_documents(
    State(state): State<AppState>,
    api: Api,
    Path((kind, cert_type)): Path<(String, String)>,
    Body(body): Body<DocumentsBody>,
) -> Answer<DocumentSetView> {
    let actor = api.actor()?;
    let input = SetDocumentsInput {
        kind: kind.clone(),
        cert_type: cert_type.clone(),
        documents: body.documents,
    };
    config::set_documents(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    document_set(State(state), api, Path((kind, cert_type))).await
}

/// Back to the shipped list.
#[utoipa::path(delete, path = "/api/v1/admin/documents/{kind}/{cert_type}", tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path), ("cert_type" = String, Path)),
    responses((status = 200, body = DocumentSetView), (status = 422, body = ApiErrorBody)))]
pub async fn reset_documents(
    State(state): State<AppState>,
    api: Api,
    Path((kind, cert_type)): Path<(String, String)>,
) -> Answer<DocumentSetView> {
    let actor = api.actor()?;
    config::reset_documents(&state.app, actor, &kind, &cert_type)
        .await
        .map_err(|e| api.fail(e))?;
    document_set(State(state), api, Path((kind, cert_type))).await
}

// ---- service points ----

fn service_point_id(api: &Api, id: &str) -> Result<ServicePointId, ApiError> {
    ServicePointId::parse(id).map_err(|_| api.fail(app::Error::NotFound))
}

/// 办理点, open and closed.
#[utoipa::path(get, path = "/api/v1/admin/service-points", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServicePointView>), (status = 403, body = ApiErrorBody)))]
pub async fn service_points(
    State(state): State<AppState>,
    api: Api,
) -> Answer<Vec<ServicePointView>> {
    let actor = api.actor()?;
    config::service_points(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[utoipa::path(get, path = "/api/v1/admin/service-points/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ServicePointView), (status = 404, body = ApiErrorBody)))]
pub async fn service_point(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Answer<ServicePointView> {
    let actor = api.actor()?;
    let id = service_point_id(&api, &id)?;
    config::service_point(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Adds a service point (open).
#[utoipa::path(post, path = "/api/v1/admin/service-points", tag = "admin", security(("bearer" = [])),
    request_body = ServicePointInput,
    responses((status = 201, body = ServicePointView), (status = 422, body = ApiErrorBody)))]
pub async fn create_service_point(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<ServicePointInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = config::create_service_point(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    let view = config::service_point(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Changes a service point; `active` "yes" keeps it open.
#[utoipa::path(put, path = "/api/v1/admin/service-points/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = ServicePointInput,
    responses((status = 200, body = ServicePointView), (status = 422, body = ApiErrorBody)))]
pub async fn update_service_point(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<ServicePointInput>,
) -> Answer<ServicePointView> {
    let actor = api.actor()?;
    let sp = service_point_id(&api, &id)?;
    config::update_service_point(&state.app, actor, sp, &input)
        .await
        .map_err(|e| api.fail(e))?;
    service_point(State(state), api, Path(id)).await
}

/// Closes a service point to new applications (nothing is deleted).
#[utoipa::path(post, path = "/api/v1/admin/service-points/{id}/deactivate", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ServicePointView), (status = 404, body = ApiErrorBody)))]
pub async fn deactivate_service_point(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Answer<ServicePointView> {
    let actor = api.actor()?;
    let sp = service_point_id(&api, &id)?;
    config::deactivate_service_point(&state.app, actor, sp)
        .await
        .map_err(|e| api.fail(e))?;
    service_point(State(state), api, Path(id)).await
}

// ---- linked platforms ----

fn platform_id(api: &Api, id: &str) -> Result<PlatformId, ApiError> {
    PlatformId::parse(id).map_err(|_| api.fail(app::Error::NotFound))
}

/// 关联平台.
#[utoipa::path(get, path = "/api/v1/admin/platforms", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<PlatformView>), (status = 403, body = ApiErrorBody)))]
pub async fn platforms(State(state): State<AppState>, api: Api) -> Answer<Vec<PlatformView>> {
    let actor = api.actor()?;
    config::platforms(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[utoipa::path(get, path = "/api/v1/admin/platforms/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PlatformView), (status = 404, body = ApiErrorBody)))]
pub async fn platform(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Answer<PlatformView> {
    let actor = api.actor()?;
    let id = platform_id(&api, &id)?;
    config::platform(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Adds a linked platform (listed).
#[utoipa::path(post, path = "/api/v1/admin/platforms", tag = "admin", security(("bearer" = [])),
    request_body = PlatformInput,
    responses((status = 201, body = PlatformView), (status = 422, body = ApiErrorBody)))]
pub async fn create_platform(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<PlatformInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = config::create_platform(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    let view = config::platform(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(put, path = "/api/v1/admin/platforms/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = PlatformInput,
    responses((status = 200, body = PlatformView), (status = 422, body = ApiErrorBody)))]
pub async fn update_platform(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<PlatformInput>,
) -> Answer<PlatformView> {
    let actor = api.actor()?;
    let pid = platform_id(&api, &id)?;
    config::update_platform(&state.app, actor, pid, &input)
        .await
        .map_err(|e| api.fail(e))?;
    platform(State(state), api, Path(id)).await
}

/// The platform's API key (互联互通) in force: its first characters and when it was made,
/// never the key; `null` when it has none.
#[utoipa::path(get, path = "/api/v1/admin/platforms/{id}/key", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Option<PlatformKeyView>), (status = 404, body = ApiErrorBody)))]
pub async fn platform_key(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Answer<Option<PlatformKeyView>> {
    let actor = api.actor()?;
    let id = platform_id(&api, &id)?;
    interconnect::platform_key(&state.app, actor, id)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Generates the platform's API key, revoking the one in force. The key is in this answer
/// only: it is stored as its SHA-256 and cannot be shown again.
#[utoipa::path(post, path = "/api/v1/admin/platforms/{id}/key", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = GeneratedKey), (status = 404, body = ApiErrorBody)))]
pub async fn generate_platform_key(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let id = platform_id(&api, &id)?;
    let generated = interconnect::generate_key(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(generated),
    )
        .into_response())
}

/// Revokes the platform's API key: the platform can no longer look up certificates.
#[utoipa::path(delete, path = "/api/v1/admin/platforms/{id}/key", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn revoke_platform_key(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    let id = platform_id(&api, &id)?;
    interconnect::revoke_key(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- holidays ----

#[derive(Deserialize, utoipa::IntoParams)]
pub struct YearParams {
    /// The year; this year when absent.
    year: Option<String>,
}

/// 节假日: a year's official table and the days entered over it.
#[utoipa::path(get, path = "/api/v1/admin/holidays", tag = "admin", security(("bearer" = [])),
    params(YearParams),
    responses((status = 200, body = HolidaysView), (status = 422, body = ApiErrorBody)))]
pub async fn holidays(
    State(state): State<AppState>,
    api: Api,
    Query(p): Query<YearParams>,
) -> Answer<HolidaysView> {
    let actor = api.actor()?;
    config::holidays(&state.app, actor, p.year.as_deref().unwrap_or(""))
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

#[derive(Deserialize, Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct DayBody {
    /// holiday | working
    pub day_type: String,
    /// Required for a holiday.
    pub name: String,
}

/// Enters a holiday or a make-up working day for `date` (`2027-01-01`); answers with its year.
#[utoipa::path(put, path = "/api/v1/admin/holidays/{date}", tag = "admin", security(("bearer" = [])),
    params(("date" = String, Path)),
    request_body = DayBody,
    responses((status = 200, body = HolidaysView), (status = 422, body = ApiErrorBody)))]
pub async fn set_day(
    State(state): State<AppState>,
    api: Api,
    Path(date): Path<String>,
    Body(body): Body<DayBody>,
) -> Answer<HolidaysView> {
    let actor = api.actor()?;
    let input = DayInput {
        date,
        day_type: body.day_type,
        name: body.name,
    };
    let year = config::set_day(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    config::holidays(&state.app, actor, &year.to_string())
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Removes an entered day; the official table decides it again.
#[utoipa::path(delete, path = "/api/v1/admin/holidays/{date}", tag = "admin", security(("bearer" = [])),
    params(("date" = String, Path)),
    responses((status = 200, body = HolidaysView), (status = 404, body = ApiErrorBody)))]
pub async fn delete_day(
    State(state): State<AppState>,
    api: Api,
    Path(date): Path<String>,
) -> Answer<HolidaysView> {
    let actor = api.actor()?;
    let year = config::delete_day(&state.app, actor, &date)
        .await
        .map_err(|e| api.fail(e))?;
    config::holidays(&state.app, actor, &year.to_string())
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}
