//! /admin/platforms: 关联平台 (name and address; listed or not), the trading platforms a certificate can be linked to.

use app::admin::config::{self, PlatformInput, PlatformView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::PlatformId;

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

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
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    match config::platform(&state.app, actor, id).await {
        Ok(p) => render(
            StatusCode::OK,
            &Edit {
                page: Page::new(visitor, "config.platforms.edit_title"),
                id,
                form: PlatformInput::from(&p),
                errors: Errors::default(),
            },
        ),
        Err(e) => app_error(visitor, &e),
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
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Edit {
                page: Page::new(visitor, "config.platforms.edit_title"),
                id,
                errors: Errors::new(visitor.lang, &fields),
                form,
            },
        ),
        Err(e) => app_error(visitor, &e),
    }
}
