//! 修改密码.

use app::accounts::{self, ChangePasswordInput};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Errors, NoticeQuery, Page, SignedIn, app_error, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::visitor::SESSION_COOKIE;

#[derive(Template)]
#[template(path = "password.html")]
struct Password {
    page: Page,
    form: ChangePasswordInput,
    errors: Errors,
}

pub async fn password_form(
    SignedIn { visitor, .. }: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    ok(&Password {
        page: Page::new(&visitor, "password.title").with_notice(q.notice.as_deref()),
        form: ChangePasswordInput::default(),
        errors: Errors::default(),
    })
}

pub async fn password_submit(
    State(state): State<AppState>,
    SignedIn { actor, visitor }: SignedIn,
    CsrfForm(form): CsrfForm<ChangePasswordInput>,
) -> Response {
    let actor = &actor;
    match accounts::change_password(&state.app, actor, &form).await {
        Ok(session) => {
            let mut r = Redirect::to("/dashboard?notice=notice.password_changed").into_response();
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
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Password {
                page: Page::new(&visitor, "password.title"),
                errors: Errors::new(visitor.lang, &fields),
                form,
            },
        ),
        Err(e) => app_error(&visitor, &e),
    }
}
