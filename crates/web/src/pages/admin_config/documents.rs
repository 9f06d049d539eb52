//! /admin/documents: the 电子件 each kind × certificate type asks for (所需材料).

use std::collections::HashMap;

use app::admin::config::{self, DocumentNeedInput, DocumentSetView, Need, SetDocumentsInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::application::DocumentKind;

use super::{cert_type_key, document_key, kind_key, source_key};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

pub struct Row {
    pub view: DocumentSetView,
    pub kind_label: &'static str,
    pub type_label: &'static str,
    pub source_label: &'static str,
    pub required: Vec<&'static str>,
    pub optional: Vec<&'static str>,
}

impl Row {
    fn new(view: DocumentSetView) -> Row {
        let with = |need| {
            view.documents
                .iter()
                .filter(|d| d.need == need)
                .map(|d| document_key(d.document))
                .collect()
        };
        Row {
            kind_label: kind_key(view.kind),
            type_label: cert_type_key(view.cert_type),
            source_label: source_key(view.source),
            required: with(Need::Required),
            optional: with(Need::Optional),
            view,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_documents.html")]
struct List {
    page: Page,
    rows: Vec<Row>,
}

/// One document's select: field name, label, what is chosen, what the default is.
pub struct Choice {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub default_key: &'static str,
}

#[derive(Template)]
#[template(path = "admin_documents_edit.html")]
struct Edit {
    page: Page,
    row: Row,
    choices: Vec<Choice>,
    needs: Vec<(&'static str, &'static str)>,
    errors: Errors,
}

fn need_key(n: Need) -> &'static str {
    match n {
        Need::Required => "config.need.required",
        Need::Optional => "config.need.optional",
        Need::None => "config.need.none",
    }
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn { actor, visitor }: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    match config::document_sets(&state.app, &actor).await {
        Ok(list) => render(
            StatusCode::OK,
            &List {
                page: Page::new(&visitor, "config.documents.title")
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
    (kind, cert_type): (&str, &str),
    typed: Option<&HashMap<String, String>>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let view = match config::document_set(&state.app, actor, kind, cert_type).await {
        Ok(v) => v,
        Err(e) => return app_error(visitor, &e),
    };
    let choices = view
        .documents
        .iter()
        .map(|d| Choice {
            name: d.document.as_str(),
            label: document_key(d.document),
            value: typed
                .and_then(|t| t.get(d.document.as_str()).cloned())
                .unwrap_or_else(|| d.need.as_str().to_owned()),
            default_key: need_key(d.default_need),
        })
        .collect();
    render(
        status,
        &Edit {
            page: Page::new(visitor, "config.documents.edit_title"),
            row: Row::new(view),
            choices,
            needs: [Need::Required, Need::Optional, Need::None]
                .into_iter()
                .map(|n| (n.as_str(), need_key(n)))
                .collect(),
            errors,
        },
    )
}

pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((kind, cert_type)): Path<(String, String)>,
) -> Response {
    edit_page(
        &state,
        &signed_in,
        (&kind, &cert_type),
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((kind, cert_type)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let input = SetDocumentsInput {
        kind: kind.clone(),
        cert_type: cert_type.clone(),
        documents: DocumentKind::ALL
            .iter()
            .filter_map(|d| {
                form.get(d.as_str()).map(|need| DocumentNeedInput {
                    document: d.as_str().to_owned(),
                    need: need.clone(),
                })
            })
            .collect(),
    };
    match config::set_documents(&state.app, &signed_in.actor, &input).await {
        Ok(()) => Redirect::to("/admin/documents?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            edit_page(
                &state,
                &signed_in,
                (&kind, &cert_type),
                Some(&form),
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
    Path((kind, cert_type)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    match config::reset_documents(&state.app, &signed_in.actor, &kind, &cert_type).await {
        Ok(()) => Redirect::to("/admin/documents?notice=notice.saved").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}
