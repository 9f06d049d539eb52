use app::admin::{self, CreateUserInput, CreatedUser, UserView};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::account::Role;

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Only accounts of this role.
    role: Option<String>,
}

/// 用户管理: accounts, newest first (admin).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let actor = api.actor()?;
    let role = match p.role.as_deref() {
        None | Some("") => None,
        Some(r) => Some(Role::parse(r).map_err(|_| api.fail(app::Error::NotFound))?),
    };
    admin::list_users(&state.app, actor, role)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// Create an account (admin). Without a password one is generated and returned once.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    request_body = CreateUserInput,
    responses((status = 201, body = CreatedUser), (status = 422, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<CreateUserInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let created = admin::create_user(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}
