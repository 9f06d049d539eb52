//! 消息通知 and the e-mail outbox over JSON.

use app::notifications::{self, NotificationView};
use app::outbox::{self, OutboxList};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::Api;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Notifications {
    /// How many are unread (the count in the header).
    pub unread: u64,
    /// The newest first, read and unread.
    pub items: Vec<NotificationView>,
}

/// 消息通知: one's own notifications and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Notifications), (status = 401, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Notifications>, ApiError> {
    let actor = api.actor()?;
    let unread = notifications::unread_count(&state.app, actor)
        .await
        .map_err(|e| api.fail(e))?;
    let items = notifications::recent(&state.app, actor)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(Json(Notifications { unread, items }))
}

/// 全部标为已读: marks all one's notifications as read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody)))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    api: Api,
) -> Result<StatusCode, ApiError> {
    let actor = api.actor()?;
    notifications::mark_all_read(&state.app, actor)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct OutboxParams {
    /// Only mails of this status: `pending`, `sent` or `failed`.
    #[serde(default)]
    status: String,
}

/// 邮件发件箱: the newest mails with recipient, subject, body, status and attempts (admin).
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", security(("bearer" = [])),
    params(OutboxParams),
    responses((status = 200, body = OutboxList), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn outbox(
    State(state): State<AppState>,
    api: Api,
    Query(p): Query<OutboxParams>,
) -> Result<Json<OutboxList>, ApiError> {
    let actor = api.actor()?;
    outbox::list(&state.app, actor, &p.status)
        .await
        .map(Json)
        .map_err(|e| api.fail(e))
}
