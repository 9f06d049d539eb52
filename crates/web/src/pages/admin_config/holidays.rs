//! /admin/holidays: a year's official table and the days entered over it (节假日).

use app::admin::config::{self, DayInput, DayMark, HolidaysView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::pages::{Errors, Page, SignedIn, app_error, render};

/// What a mark says, as a catalogue key: 休息 (with the name beside it) or 上班.
fn mark_key(m: &DayMark) -> &'static str {
    if m.working {
        "config.holidays.working"
    } else {
        "config.holidays.holiday"
    }
}

pub struct Row {
    pub date: String,
    pub weekday: &'static str,
    pub official: Option<(&'static str, String)>,
    pub entered: Option<(&'static str, String)>,
    pub effective: &'static str,
}

#[derive(Template)]
#[template(path = "admin_holidays.html")]
struct Holidays {
    page: Page,
    year: i16,
    official_table: bool,
    rows: Vec<Row>,
    form: DayInput,
    errors: Errors,
    day_types: Vec<(&'static str, &'static str)>,
}

fn weekday_key(n: i8) -> &'static str {
    match n {
        1 => "config.weekday.1",
        2 => "config.weekday.2",
        3 => "config.weekday.3",
        4 => "config.weekday.4",
        5 => "config.weekday.5",
        6 => "config.weekday.6",
        _ => "config.weekday.7",
    }
}

fn rows(view: HolidaysView) -> Vec<Row> {
    view.days
        .into_iter()
        .map(|d| Row {
            weekday: weekday_key(d.weekday),
            official: d.official.as_ref().map(|m| {
                let key = if m.working {
                    "config.holidays.make_up"
                } else {
                    mark_key(m)
                };
                (key, m.name.clone())
            }),
            entered: d.entered.as_ref().map(|m| (mark_key(m), m.name.clone())),
            effective: if d.working {
                "config.holidays.working"
            } else {
                "config.holidays.holiday"
            },
            date: d.date,
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
    notice: Option<String>,
}

async fn render_page(
    state: &AppState,
    signed_in: &SignedIn,
    year: &str,
    form: DayInput,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let view = match config::holidays(&state.app, actor, year).await {
        Ok(v) => v,
        Err(e) => return app_error(visitor, &e),
    };
    render(
        status,
        &Holidays {
            page: Page::new(visitor, "config.holidays.title").with_notice(notice),
            year: view.year,
            official_table: view.official_table,
            rows: rows(view),
            form,
            errors,
            day_types: vec![
                ("holiday", "config.holidays.holiday"),
                ("working", "config.holidays.working"),
            ],
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<YearQuery>,
) -> Response {
    let form = DayInput {
        day_type: "holiday".into(),
        ..DayInput::default()
    };
    render_page(
        &state,
        &signed_in,
        &q.year,
        form,
        Errors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn set(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<DayInput>,
) -> Response {
    match config::set_day(&state.app, &signed_in.actor, &form).await {
        Ok(year) => Redirect::to(&format!("/admin/holidays?year={year}&notice=notice.saved"))
            .into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(signed_in.visitor.lang, &fields);
            // Show the year of the date typed, when it has one.
            let year: String = form.date.trim().chars().take(4).collect();
            let year = if year
                .parse::<i16>()
                .is_ok_and(|y| (2000..=2100).contains(&y))
            {
                year
            } else {
                String::new()
            };
            render_page(
                &state,
                &signed_in,
                &year,
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

pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(date): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    match config::delete_day(&state.app, &signed_in.actor, &date).await {
        Ok(year) => Redirect::to(&format!("/admin/holidays?year={year}&notice=notice.saved"))
            .into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}
