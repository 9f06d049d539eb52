//! 个人令牌 (personal API tokens), 绑定CA, and 证书登录 for the USB-key tool.

use app::accounts::{
    self, ApiTokenView, BindingView, ChallengeInfo, LoginOutcome, NewToken, NewTokenInput,
    SignatureInput, Signed, StartedChallenge,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ids::{ApiTokenId, BindingId};
use serde::{Deserialize, Serialize};

use super::accounts::SessionToken;
use super::{Api, Body};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

fn parse_id<T: std::str::FromStr>(api: &Api, raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| api.fail(app::Error::NotFound))
}

/// 个人令牌: one's tokens, newest first (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [ApiTokenView]), (status = 401, body = ApiErrorBody)))]
pub async fn tokens(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<ApiTokenView>>, ApiError> {
    let actor = api.actor()?;
    accounts::list_tokens(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 新建令牌: the answer holds the token, this once. With a session only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = NewTokenInput,
    responses((status = 201, body = NewToken), (status = 422, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<NewTokenInput>,
) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let t = accounts::create_token(&state.app, actor, &input)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// 吊销: the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    let id: ApiTokenId = parse_id(&api, &id)?;
    accounts::revoke_token(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// 绑定CA: the certificates bound to one's account.
#[utoipa::path(get, path = "/api/v1/me/bindings", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [BindingView]), (status = 401, body = ApiErrorBody)))]
pub async fn bindings(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<BindingView>>, ApiError> {
    let actor = api.actor()?;
    accounts::bindings(&state.app, actor)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// 绑定CA: a challenge for the tool to sign with the key to bind (`certdesk token bind`).
#[utoipa::path(post, path = "/api/v1/me/bindings/challenge", tag = "accounts",
    security(("bearer" = [])),
    responses((status = 201, body = StartedChallenge), (status = 401, body = ApiErrorBody)))]
pub async fn start_binding(State(state): State<AppState>, api: Api) -> Result<Response, ApiError> {
    let actor = api.actor()?;
    let c = accounts::start_binding(&state.app, actor)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// 解除绑定.
#[utoipa::path(delete, path = "/api/v1/me/bindings/{id}", tag = "accounts",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn unbind(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    let id: BindingId = parse_id(&api, &id)?;
    accounts::unbind(&state.app, actor, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// 证书登录: a login challenge (no session needed). Keep `secret`; sign `code` with the tool.
#[utoipa::path(post, path = "/api/v1/auth/certificate/challenges", tag = "accounts",
    responses((status = 201, body = StartedChallenge)))]
pub async fn start_login(State(state): State<AppState>, api: Api) -> Result<Response, ApiError> {
    let c = accounts::start_login(&state.app)
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// A live challenge by its code: what the tool signs.
#[utoipa::path(get, path = "/api/v1/auth/certificate/challenges/{code}", tag = "accounts",
    params(("code" = String, Path, description = "e.g. K7QM-3XTP")),
    responses((status = 200, body = ChallengeInfo), (status = 409, body = ApiErrorBody)))]
pub async fn challenge(
    State(state): State<AppState>,
    api: Api,
    Path(code): Path<String>,
) -> Result<Json<ChallengeInfo>, ApiError> {
    accounts::challenge(&state.app, &code)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// The tool's answer: the certificate and the signature of the challenge's message. A
/// bind is made at once; a login waits for `POST /api/v1/auth/certificate/session`.
#[utoipa::path(post, path = "/api/v1/auth/certificate/challenges/{code}/signature",
    tag = "accounts", params(("code" = String, Path)), request_body = SignatureInput,
    responses((status = 200, body = Signed), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    api: Api,
    Path(code): Path<String>,
    Body(input): Body<SignatureInput>,
) -> Result<Json<Signed>, ApiError> {
    accounts::sign_challenge(&state.app, &code, &input)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}

/// The challenge's secret, to open the session once the code is signed.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct SecretInput {
    pub secret: String,
}

/// Not signed yet: ask again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Waiting {
    pub code: String,
    pub expires_at: String,
}

/// 证书登录 completed: a session token (201), or 202 while the code is not signed yet.
#[utoipa::path(post, path = "/api/v1/auth/certificate/session", tag = "accounts",
    request_body = SecretInput,
    responses((status = 201, body = SessionToken), (status = 202, body = Waiting),
        (status = 409, body = ApiErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    api: Api,
    Body(input): Body<SecretInput>,
) -> Result<Response, ApiError> {
    match accounts::finish_login(&state.app, &input.secret)
        .await
        .map_err(|e| api.fail(e))?
    {
        LoginOutcome::Waiting { code, expires_at } => Ok((
            StatusCode::ACCEPTED,
            Json(Waiting {
                code,
                expires_at: expires_at.to_string(),
            }),
        )
            .into_response()),
        LoginOutcome::SignedIn(s) => {
            Ok((StatusCode::CREATED, Json(SessionToken::from(s))).into_response())
        }
    }
}
