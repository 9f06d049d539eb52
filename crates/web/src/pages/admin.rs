//! 用户管理: the admin creates staff accounts and sees everyone's.

use app::admin::{self, CreateUserInput};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::account::Role;

use super::dashboard::role_label;
use super::{Errors, Page, SignedIn, app_error, local_date, render};
use crate::AppState;
use crate::csrf::CsrfForm;

pub struct UserRow {
    pub name: String,
    pub mobile: String,
    pub role_key: &'static str,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct Users {
    page: Page,
    users: Vec<UserRow>,
    role_options: Vec<(&'static str, &'static str)>,
    form: CreateUserInput,
    errors: Errors,
    generated_password: Option<String>,
}

async fn page(
    state: &AppState,
    signed_in: &SignedIn,
    form: CreateUserInput,
    errors: Errors,
    generated_password: Option<String>,
    status: StatusCode,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let users = match admin::list_users(&state.app, actor, None).await {
        Ok(u) => u,
        Err(e) => return app_error(visitor, &e),
    };
    render(
        status,
        &Users {
            page: Page::new(visitor, "users.title"),
            users: users
                .into_iter()
                .map(|u| UserRow {
                    name: u.name,
                    mobile: u.mobile,
                    role_key: role_label(u.role),
                    created_at: local_date(u.created_at),
                })
                .collect(),
            role_options: Role::ALL
                .into_iter()
                .map(|r| (r.as_str(), role_label(r)))
                .collect(),
            form,
            errors,
            generated_password,
        },
    )
}

pub async fn users(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let form = CreateUserInput {
        role: "reviewer".into(),
        ..CreateUserInput::default()
    };
    page(
        &state,
        &signed_in,
        form,
        Errors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<CreateUserInput>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    // The web form never sets a password: one is generated and shown once.
    let input = CreateUserInput {
        password: String::new(),
        ..form.clone()
    };
    match admin::create_user(&state.app, actor, &input).await {
        Ok(created) => {
            let form = CreateUserInput {
                role: form.role,
                ..CreateUserInput::default()
            };
            page(
                &state,
                &signed_in,
                form,
                Errors::default(),
                created.generated_password,
                StatusCode::OK,
            )
            .await
        }
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(visitor.lang, &fields);
            page(
                &state,
                &signed_in,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(visitor, &e),
    }
}
