//! /admin/service-points: 办理点 (name, address, hours, phone; open or closed).

use app::admin::config::{self, ServicePointInput, ServicePointView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::ServicePointId;

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

#[derive(Template)]
#[template(path = "admin_service_points.html")]
struct List {
    page: Page,
    points: Vec<ServicePointView>,
    form: ServicePointInput,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "admin_service_point_edit.html")]
struct Edit {
    page: Page,
    id: ServicePointId,
    form: ServicePointInput,
    errors: Errors,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: ServicePointInput,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    match config::service_points(&state.app, actor).await {
        Ok(points) => render(
            status,
            &List {
                page: Page::new(visitor, "config.service_points.title").with_notice(notice),
                points,
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
        ServicePointInput::default(),
        Errors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<ServicePointInput>,
) -> Response {
    match config::create_service_point(&state.app, &signed_in.actor, &form).await {
        Ok(_) => Redirect::to("/admin/service-points?notice=notice.saved").into_response(),
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

fn parse_id(signed_in: &SignedIn, id: &str) -> Result<ServicePointId, PageError> {
    ServicePointId::parse(id).map_err(|_| PageError::not_found(signed_in.visitor.lang))
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
    match config::service_point(&state.app, actor, id).await {
        Ok(p) => render(
            StatusCode::OK,
            &Edit {
                page: Page::new(visitor, "config.service_points.edit_title"),
                id,
                form: ServicePointInput::from(&p),
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
    CsrfForm(form): CsrfForm<ServicePointInput>,
) -> Response {
    let id = match parse_id(&signed_in, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    match config::update_service_point(&state.app, actor, id, &form).await {
        Ok(()) => Redirect::to("/admin/service-points?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Edit {
                page: Page::new(visitor, "config.service_points.edit_title"),
                id,
                errors: Errors::new(visitor.lang, &fields),
                form,
            },
        ),
        Err(e) => app_error(visitor, &e),
    }
}
