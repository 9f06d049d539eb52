//! /admin/fees: the fee schedule (收费标准).

use app::admin::config::{self, FeeKeyInput, FeeRow, SetPriceInput};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::application::{CertType, Channel, Kind};

use super::{cert_type_key, channel_key, kind_key, options, source_key};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::pages::{Errors, NoticeQuery, Page, SignedIn, app_error, render};

pub struct Row {
    pub fee: FeeRow,
    pub kind_label: &'static str,
    pub type_label: &'static str,
    pub channel_label: &'static str,
    pub source_label: &'static str,
}

#[derive(Template)]
#[template(path = "admin_fees.html")]
struct Fees {
    page: Page,
    rows: Vec<Row>,
    form: SetPriceInput,
    errors: Errors,
    kinds: Vec<(&'static str, &'static str)>,
    types: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
}

async fn render_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: SetPriceInput,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let fees = match config::fees(&state.app, actor).await {
        Ok(f) => f,
        Err(e) => return app_error(visitor, &e),
    };
    render(
        status,
        &Fees {
            page: Page::new(visitor, "config.fees.title").with_notice(notice),
            rows: fees
                .into_iter()
                .map(|fee| Row {
                    kind_label: kind_key(fee.kind),
                    type_label: cert_type_key(fee.cert_type),
                    channel_label: channel_key(fee.channel),
                    source_label: source_key(fee.source),
                    fee,
                })
                .collect(),
            form,
            errors,
            kinds: options(Kind::ALL, Kind::as_str, kind_key),
            types: options(CertType::ALL, CertType::as_str, cert_type_key),
            channels: options(Channel::ALL, Channel::as_str, channel_key),
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
        SetPriceInput::default(),
        Errors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn set(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<SetPriceInput>,
) -> Response {
    match config::set_price(&state.app, &signed_in.actor, &form).await {
        Ok(()) => Redirect::to("/admin/fees?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            render_page(
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

pub async fn reset(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<FeeKeyInput>,
) -> Response {
    match config::reset_price(&state.app, &signed_in.actor, &form).await {
        Ok(()) => Redirect::to("/admin/fees?notice=notice.saved").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}
