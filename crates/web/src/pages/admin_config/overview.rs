//! /admin/config: the overview, with the shipping fee and the review SLA.

use app::admin::config::{self, SettingsInput, SettingsView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{NAV, source_key};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

#[derive(Template)]
#[template(path = "admin_config.html")]
struct Overview {
    page: Page,
    view: SettingsView,
    form: SettingsInput,
    errors: Errors,
    links: Vec<(&'static str, &'static str)>,
    fee_source: &'static str,
    sla_source: &'static str,
}

async fn render_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: Option<SettingsInput>,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let view = match config::settings(&state.app, actor).await {
        Ok(v) => v,
        Err(e) => return app_error(visitor, &e),
    };
    render(
        status,
        &Overview {
            page: Page::new(visitor, "config.title").with_notice(notice),
            form: form.unwrap_or_else(|| SettingsInput::from(&view)),
            fee_source: source_key(view.shipping_fee_source),
            sla_source: source_key(view.review_sla_source),
            view,
            errors,
            links: NAV.iter().skip(1).copied().collect(),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    render_page(
        &state,
        &signed_in,
        None,
        Errors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<SettingsInput>,
) -> Response {
    match config::update_settings(&state.app, &signed_in.actor, &form).await {
        Ok(()) => Redirect::to("/admin/config?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            render_page(
                &state,
                &signed_in,
                Some(form),
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn reset(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    match config::reset_setting(&state.app, &signed_in.actor, &name).await {
        Ok(()) => Redirect::to("/admin/config?notice=notice.saved").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}
