//! /admin/procedures: the steps of each kind × channel (办理流程).

use std::collections::HashMap;

use app::admin::config::{self, ProcedureView, STEP_CODES, SetProcedureInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{channel_key, kind_key, source_key, step_key};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::i18n::CATALOG;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

/// Room for the longest procedure an admin may want (the longest valid one has 7 steps).
const SLOTS: usize = 8;

pub struct Row {
    pub view: ProcedureView,
    pub kind_label: &'static str,
    pub channel_label: &'static str,
    pub source_label: &'static str,
    pub step_labels: Vec<&'static str>,
    pub default_labels: Vec<&'static str>,
}

impl Row {
    fn new(view: ProcedureView) -> Row {
        let default_labels = view.default_code.split(',').map(step_key).collect();
        Row {
            kind_label: kind_key(view.kind),
            channel_label: channel_key(view.channel),
            source_label: source_key(view.source),
            step_labels: view.steps.iter().map(|s| step_key(s)).collect(),
            default_labels,
            view,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct List {
    page: Page,
    rows: Vec<Row>,
}

/// One select of the form: its name, its label, and the code chosen.
pub struct Slot {
    pub name: String,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin_procedure_edit.html")]
struct Edit {
    page: Page,
    row: Row,
    slots: Vec<Slot>,
    steps: Vec<(&'static str, &'static str)>,
    errors: Errors,
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn { actor, visitor }: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    match config::procedures(&state.app, &actor).await {
        Ok(list) => render(
            StatusCode::OK,
            &List {
                page: Page::new(&visitor, "config.procedures.title")
                    .with_notice(q.notice.as_deref()),
                rows: list.into_iter().map(Row::new).collect(),
            },
        ),
        Err(e) => app_error(&visitor, &e),
    }
}

async fn edit_page(
    state: &AppState,
    signed_in: &SignedIn,
    (kind, channel): (&str, &str),
    chosen: Option<Vec<String>>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let view = match config::procedure(&state.app, actor, kind, channel).await {
        Ok(v) => v,
        Err(e) => return app_error(visitor, &e),
    };
    let chosen = chosen.unwrap_or_else(|| view.steps.clone());
    let t = CATALOG.tr(visitor.lang);
    let slots = (0..SLOTS)
        .map(|i| Slot {
            name: format!("step{}", i + 1),
            label: t
                .get("config.procedures.step_n")
                .replace("{n}", &(i + 1).to_string()),
            value: chosen.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    render(
        status,
        &Edit {
            page: Page::new(visitor, "config.procedures.edit_title"),
            row: Row::new(view),
            slots,
            steps: STEP_CODES.iter().map(|c| (*c, step_key(c))).collect(),
            errors,
        },
    )
}

pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((kind, channel)): Path<(String, String)>,
) -> Response {
    edit_page(
        &state,
        &signed_in,
        (&kind, &channel),
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((kind, channel)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    // The chosen steps in slot order, empty slots left out.
    let chosen: Vec<String> = (1..=SLOTS)
        .filter_map(|i| form.get(&format!("step{i}")))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let input = SetProcedureInput {
        kind: kind.clone(),
        channel: channel.clone(),
        steps: chosen.join(","),
    };
    match config::set_procedure(&state.app, &signed_in.actor, &input).await {
        Ok(()) => Redirect::to("/admin/procedures?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            edit_page(
                &state,
                &signed_in,
                (&kind, &channel),
                Some(chosen),
                errors,
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
    Path((kind, channel)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    match config::reset_procedure(&state.app, &signed_in.actor, &kind, &channel).await {
        Ok(()) => Redirect::to("/admin/procedures?notice=notice.saved").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}
