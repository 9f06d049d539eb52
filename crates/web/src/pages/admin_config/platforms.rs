//! /admin/platforms: 关联平台 (name and address; listed or not), the trading platforms a certificate can be linked to,
//! and each platform's 互联互通 API key (generated and shown once, regenerated, revoked).

use app::admin::config::{self, PlatformInput, PlatformView};
use app::interconnect::{self, GeneratedKey, PlatformKeyView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::PlatformId;

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, render};

#[derive(Template)]
#[template(path = "admin_platforms.html")]
struct List {
    page: Page,
    platforms: Vec<PlatformView>,
    form: PlatformInput,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "admin_platform_edit.html")]
struct Edit {
    page: Page,
    id: PlatformId,
    form: PlatformInput,
    errors: Errors,
    /// The API key in force: its first characters and when it was made.
    key: Option<KeyRow>,
    /// A key just generated, shown this once.
    new_key: Option<GeneratedKey>,
}

struct KeyRow {
    hint: String,
    created_at: String,
}

impl From<PlatformKeyView> for KeyRow {
    fn from(k: PlatformKeyView) -> Self {
        KeyRow {
            hint: k.hint,
            created_at: local_date(k.created_at),
        }
    }
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: PlatformInput,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    match config::platforms(&state.app, actor).await {
        Ok(platforms) => render(
            status,
            &List {
                page: Page::new(visitor, "config.platforms.title").with_notice(notice),
                platforms,
                form,
                errors,
            },
        ),
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    list_page(
        &state,
        &signed_in,
        PlatformInput::default(),
        Errors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<PlatformInput>,
) -> Response {
    match config::create_platform(&state.app, &signed_in.actor, &form).await {
        Ok(_) => Redirect::to("/admin/platforms?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            list_page(
                &state,
                &signed_in,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

fn parse_id(signed_in: &SignedIn, id: &str) -> Result<PlatformId, PageError> {
    PlatformId::parse(id).map_err(|_| PageError::not_found(signed_in.visitor.lang))
}

pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    edit_page(&state, &signed_in, id, None, q.notice.as_deref()).await
}

/// The edit page with the platform as stored and its key, and a key just made if any.
async fn edit_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: PlatformId,
    new_key: Option<GeneratedKey>,
    notice: Option<&str>,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let found = match config::platform(&state.app, actor, id).await {
        Ok(p) => p,
        Err(e) => return app_error(visitor, &e),
    };
    let key = match interconnect::platform_key(&state.app, actor, id).await {
        Ok(k) => k.map(KeyRow::from),
        Err(e) => return app_error(visitor, &e),
    };
    render(
        StatusCode::OK,
        &Edit {
            page: Page::new(visitor, "config.platforms.edit_title").with_notice(notice),
            id,
            form: PlatformInput::from(&found),
            errors: Errors::default(),
            key,
            new_key,
        },
    )
}

/// The form carries nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct Empty {}

/// 生成密钥 / 重新生成密钥: the answer is the page with the new key, shown this once (not a
/// redirect: the key is kept nowhere to show again), and not to be cached.
pub async fn generate_key(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match interconnect::generate_key(&state.app, &signed_in.actor, id).await {
        Ok(generated) => {
            let mut response = edit_page(&state, &signed_in, id, Some(generated), None).await;
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

/// 吊销密钥.
pub async fn revoke_key(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match interconnect::revoke_key(&state.app, &signed_in.actor, id).await {
        Ok(()) => Redirect::to(&format!(
            "/admin/platforms/{id}?notice=notice.platform_key_revoked"
        ))
        .into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<PlatformInput>,
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    match config::update_platform(&state.app, actor, id, &form).await {
        Ok(()) => Redirect::to("/admin/platforms?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let key = match interconnect::platform_key(&state.app, actor, id).await {
                Ok(k) => k.map(KeyRow::from),
                Err(e) => return app_error(visitor, &e),
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Edit {
                    page: Page::new(visitor, "config.platforms.edit_title"),
                    id,
                    errors: Errors::new(visitor.lang, &fields),
                    form,
                    key,
                    new_key: None,
                },
            )
        }
        Err(e) => app_error(visitor, &e),
    }
}
