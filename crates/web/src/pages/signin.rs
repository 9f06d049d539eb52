//! 登录 and 退出.

use app::accounts::{self, SignInInput};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Errors, NoticeQuery, Page, app_error, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::message;
use crate::visitor::{SESSION_COOKIE, Visitor};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn {
    page: Page,
    mobile: String,
    errors: Errors,
    form_error: Option<String>,
}

pub async fn form(visitor: Visitor, Query(q): Query<NoticeQuery>) -> Response {
    if visitor.actor().is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    ok(&SignIn {
        page: Page::new(&visitor, "signin.title").with_notice(q.notice.as_deref()),
        mobile: String::new(),
        errors: Errors::default(),
        form_error: None,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(input): CsrfForm<SignInInput>,
) -> Response {
    match accounts::sign_in(&state.app, &input).await {
        Ok(session) => {
            let mut r = Redirect::to("/dashboard").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                visitor.cookie(
                    SESSION_COOKIE,
                    &session.token,
                    accounts::SESSION_TTL.as_secs(),
                ),
            );
            r
        }
        Err(
            e
            @ (app::Error::Invalid(_) | app::Error::BadCredentials | app::Error::Throttled { .. }),
        ) => {
            let (errors, form_error) = match &e {
                app::Error::Invalid(fields) => (Errors::new(visitor.lang, fields), None),
                _ => (Errors::default(), Some(message(visitor.lang, &e))),
            };
            render(
                crate::error::status_of(&e),
                &SignIn {
                    page: Page::new(&visitor, "signin.title"),
                    mobile: input.mobile,
                    errors,
                    form_error,
                },
            )
        }
        Err(e) => app_error(&visitor, &e),
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    if let Some(token) = &visitor.token
        && let Err(e) = accounts::sign_out(&state.app, token).await
    {
        return app_error(&visitor, &e);
    }
    let mut r = Redirect::to("/signin?notice=notice.signed_out").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, visitor.cookie(SESSION_COOKIE, "", 0));
    r
}
