use app::organisations::{
    self, AddMemberInput, AddedMember, MemberView, OrganisationView, ProfileInput,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ids::{OrganisationId, UserId};

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

fn org_id(api: &Api, raw: &str) -> Result<OrganisationId, ApiError> {
    OrganisationId::parse(raw).map_err(|_| api.fail(app::Error::NotFound))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Part of a name or credit code.
    #[serde(default)]
    q: String,
}

/// 主体查询 (staff).
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, body = Vec<OrganisationView>), (status = 403, body = ApiErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    api: Api,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<OrganisationView>>, ApiError> {
    let actor = api.actor()?;
    organisations::search(&state.app, actor, &p.q)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 单位信息.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = OrganisationView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<OrganisationView>, ApiError> {
    let actor = api.actor()?;
    let org = org_id(&api, &id)?;
    organisations::profile(&state.app, actor, org)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Edit the profile (单位管理员). The credit code cannot change.
#[utoipa::path(put, path = "/api/v1/organisations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ProfileInput,
    responses((status = 200, body = OrganisationView), (status = 422, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<ProfileInput>,
) -> Result<Json<OrganisationView>, ApiError> {
    let actor = api.actor()?;
    let org = org_id(&api, &id)?;
    organisations::update_profile(&state.app, actor, org, &input)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 人员管理: the current members.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/members", tag = "organisations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = ApiErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let actor = api.actor()?;
    let org = org_id(&api, &id)?;
    organisations::list_members(&state.app, actor, org)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Add a person (单位管理员).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/members", tag = "organisations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AddMemberInput,
    responses((status = 201, body = AddedMember), (status = 422, body = ApiErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(input): Body<AddMemberInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let org = org_id(&api, &id)?;
    let added = organisations::add_member(&state.app, actor, org, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Remove a person (单位管理员); the last admin stays.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/members/{user_id}", tag = "organisations",
    security(("bearer" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 409, body = ApiErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    api: Api,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    let org = org_id(&api, &id)?;
    let user = UserId::parse(&user_id).map_err(|_| api.fail(app::Error::NotFound))?;
    organisations::remove_member(&state.app, actor, org, user)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}
