//! 注册: an organisation (主体注册) or an individual (个人).

use app::accounts::{self, RegisterIndividualInput, RegisterOrganisationInput};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Errors, Page, app_error, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::visitor::Visitor;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterOrganisation {
    page: Page,
    form: RegisterOrganisationInput,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "register_individual.html")]
struct RegisterIndividual {
    page: Page,
    form: RegisterIndividualInput,
    errors: Errors,
}

pub async fn organisation_form(visitor: Visitor) -> Response {
    ok(&RegisterOrganisation {
        page: Page::new(&visitor, "register.org_title"),
        form: RegisterOrganisationInput::default(),
        errors: Errors::default(),
    })
}

pub async fn organisation_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<RegisterOrganisationInput>,
) -> Response {
    match accounts::register_organisation(&state.app, &form).await {
        Ok(_) => Redirect::to("/signin?notice=notice.registered").into_response(),
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterOrganisation {
                page: Page::new(&visitor, "register.org_title"),
                errors: Errors::new(visitor.lang, &fields),
                form,
            },
        ),
        Err(e) => app_error(&visitor, &e),
    }
}

pub async fn individual_form(visitor: Visitor) -> Response {
    ok(&RegisterIndividual {
        page: Page::new(&visitor, "register.individual_title"),
        form: RegisterIndividualInput::default(),
        errors: Errors::default(),
    })
}

pub async fn individual_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<RegisterIndividualInput>,
) -> Response {
    match accounts::register_individual(&state.app, &form).await {
        Ok(_) => Redirect::to("/signin?notice=notice.registered").into_response(),
        Err(app::Error::Invalid(fields)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterIndividual {
                page: Page::new(&visitor, "register.individual_title"),
                errors: Errors::new(visitor.lang, &fields),
                form,
            },
        ),
        Err(e) => app_error(&visitor, &e),
    }
}
