use app::accounts::{
    self, ChangePasswordInput, RegisterIndividualInput, RegisterOrganisationInput, Registered,
    SignInInput,
};
use app::dashboard::{self, Dashboard};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// A session token: send it as `Authorization: Bearer <token>`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionToken {
    pub token: String,
    /// Needed only when calling with the session cookie instead of the bearer token.
    pub csrf_token: String,
    pub expires_at: String,
}

impl From<accounts::NewSession> for SessionToken {
    fn from(s: accounts::NewSession) -> Self {
        SessionToken {
            token: s.token,
            csrf_token: s.csrf_token,
            expires_at: s.expires_at.to_string(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    /// applicant | reviewer | operator | finance | admin.
    pub role: String,
    pub organisation_id: Option<String>,
    /// 单位管理员 of `organisation_id`.
    pub is_org_admin: bool,
    pub individual: bool,
    pub must_change_password: bool,
}

/// 主体注册: an account and its organisation.
#[utoipa::path(post, path = "/api/v1/accounts/organisation", tag = "accounts",
    request_body = RegisterOrganisationInput,
    responses((status = 201, body = Registered), (status = 422, body = ApiErrorBody)))]
pub async fn register_organisation(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<RegisterOrganisationInput>,
) -> Result<Response, ApiError> {
    let r = accounts::register_organisation(&state.app, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// 个人注册.
#[utoipa::path(post, path = "/api/v1/accounts/individual", tag = "accounts",
    request_body = RegisterIndividualInput,
    responses((status = 201, body = Registered), (status = 422, body = ApiErrorBody)))]
pub async fn register_individual(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<RegisterIndividualInput>,
) -> Result<Response, ApiError> {
    let r = accounts::register_individual(&state.app, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// Sign in with mobile number and password.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts",
    request_body = SignInInput,
    responses((status = 201, body = SessionToken), (status = 401, body = ApiErrorBody),
               (status = 429, body = ApiErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<SignInInput>,
) -> Result<Response, ApiError> {
    let s = accounts::sign_in(&state.app, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(SessionToken::from(s))).into_response())
}

/// Sign out: the session's token stops working. A personal API token is refused (409):
/// revoke it instead (`DELETE /api/v1/me/tokens/{id}`).
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts",
    security(("bearer" = [])), responses((status = 204), (status = 401, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn sign_out(State(state): State<AppState>, api: Api) -> Result<StatusCode, ApiError> {
    api.actor()?;
    if let Some(token) = &api.visitor.token
        && accounts::is_api_token(token)
    {
        // A personal API token is not a session: it ends when revoked, not by signing out.
        return Err(api.fail(app::Error::Refused("api_token.no_sign_out")));
    }
    if let Some(token) = &api.visitor.token {
        accounts::sign_out(&state.app, token)
            .await
            .map_err(|e| api.fail(e))?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
pub async fn me(api: Api) -> Result<Json<Me>, ApiError> {
    let a = api.actor()?;
    Ok(Json(Me {
        id: a.id.to_text(),
        name: a.name.clone(),
        role: a.role.as_str().to_owned(),
        organisation_id: a.organisation().map(|o| o.to_text()),
        is_org_admin: a.is_org_admin(),
        individual: a.individual,
        must_change_password: a.must_change_password,
    }))
}

/// 修改密码: ends every session of the person and returns a new one.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = ChangePasswordInput,
    responses((status = 200, body = SessionToken), (status = 422, body = ApiErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<ChangePasswordInput>,
) -> Result<Json<SessionToken>, ApiError> {
    let actor = api.actor()?;
    let s = accounts::change_password(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(Json(s.into()))
}

/// 工作台: what the signed-in person sees first.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Dashboard), (status = 401, body = ApiErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Dashboard>, ApiError> {
    let actor = api.actor()?;
    dashboard::overview(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}
