//! 单位信息 and 人员管理 for the signed-in person's organisation; 主体查询 for staff.

use app::organisations::{self, AddMemberInput, OrganisationView, ProfileInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::{OrganisationId, UserId};
use domain::organisation::MemberRole;

use super::dashboard::org_type_key;
use super::{Errors, NoticeQuery, Page, SignedIn, app_error, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::{PageError, message};

#[derive(Template)]
#[template(path = "organisation.html")]
struct Show {
    page: Page,
    org: OrganisationView,
    org_type_key: &'static str,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "organisation_edit.html")]
struct Edit {
    page: Page,
    credit_code: String,
    form: ProfileInput,
    errors: Errors,
}

pub struct MemberRow {
    pub user_id: UserId,
    pub name: String,
    pub mobile: String,
    pub role_key: &'static str,
    pub added_at: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct Members {
    page: Page,
    rows: Vec<MemberRow>,
    can_manage: bool,
    form: AddMemberInput,
    errors: Errors,
    initial_password: Option<String>,
    list_error: Option<String>,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct Search {
    page: Page,
    query: String,
    rows: Vec<(OrganisationView, &'static str)>,
}

/// The organisation the signed-in person acts for.
fn own_org(s: &SignedIn) -> Result<OrganisationId, PageError> {
    s.actor
        .organisation()
        .ok_or_else(|| PageError::not_found(s.visitor.lang))
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let org = match own_org(&signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    match organisations::profile(&state.app, actor, org).await {
        Ok(view) => ok(&Show {
            page: Page::new(visitor, "org.title").with_notice(q.notice.as_deref()),
            org_type_key: org_type_key(view.org_type),
            can_edit: actor.is_org_admin(),
            org: view,
        }),
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn edit_form(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let org = match own_org(&signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    if let Err(e) = app::authz::authorize(actor, app::Action::EditOrganisation(org)) {
        return app_error(visitor, &e);
    }
    match organisations::profile(&state.app, actor, org).await {
        Ok(view) => ok(&Edit {
            page: Page::new(visitor, "org.edit_title"),
            credit_code: view.credit_code.clone(),
            form: ProfileInput::from(&view),
            errors: Errors::default(),
        }),
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn edit_submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<ProfileInput>,
) -> Response {
    let org = match own_org(&signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    match organisations::update_profile(&state.app, actor, org, &form).await {
        Ok(_) => Redirect::to("/organisation?notice=notice.saved").into_response(),
        Err(app::Error::Invalid(fields)) => {
            let credit_code = organisations::profile(&state.app, actor, org)
                .await
                .map(|v| v.credit_code)
                .unwrap_or_default();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Edit {
                    page: Page::new(visitor, "org.edit_title"),
                    credit_code,
                    errors: Errors::new(visitor.lang, &fields),
                    form,
                },
            )
        }
        Err(e) => app_error(visitor, &e),
    }
}

/// What the people page shows besides the list.
#[derive(Default)]
struct MembersExtras {
    form: AddMemberInput,
    errors: Errors,
    initial_password: Option<String>,
    list_error: Option<String>,
    notice: Option<String>,
}

async fn members_page(
    state: &AppState,
    signed_in: &SignedIn,
    extras: MembersExtras,
    status: StatusCode,
) -> Response {
    let org = match own_org(signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = signed_in;
    let members = match organisations::list_members(&state.app, actor, org).await {
        Ok(m) => m,
        Err(e) => return app_error(visitor, &e),
    };
    let rows = members
        .into_iter()
        .map(|m| MemberRow {
            user_id: m.user_id,
            name: m.name,
            mobile: m.mobile,
            role_key: match m.role {
                MemberRole::Admin => "member_role.admin",
                MemberRole::Member => "member_role.member",
            },
            added_at: crate::pages::local_date(m.added_at),
        })
        .collect();
    render(
        status,
        &Members {
            page: Page::new(visitor, "members.title").with_notice(extras.notice.as_deref()),
            rows,
            can_manage: actor.is_org_admin(),
            form: extras.form,
            errors: extras.errors,
            initial_password: extras.initial_password,
            list_error: extras.list_error,
        },
    )
}

pub async fn members(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let extras = MembersExtras {
        notice: q.notice,
        ..MembersExtras::default()
    };
    members_page(&state, &signed_in, extras, StatusCode::OK).await
}

pub async fn add_member(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<AddMemberInput>,
) -> Response {
    let org = match own_org(&signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    match organisations::add_member(&state.app, &signed_in.actor, org, &form).await {
        Ok(added) => {
            let extras = MembersExtras {
                initial_password: added.initial_password,
                notice: Some("notice.saved".into()),
                ..MembersExtras::default()
            };
            members_page(&state, &signed_in, extras, StatusCode::OK).await
        }
        Err(app::Error::Invalid(fields)) => {
            let extras = MembersExtras {
                errors: Errors::new(signed_in.visitor.lang, &fields),
                form,
                ..MembersExtras::default()
            };
            members_page(&state, &signed_in, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(user_id): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let org = match own_org(&signed_in) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let Ok(user) = UserId::parse(&user_id) else {
        return PageError::not_found(signed_in.visitor.lang).into_response();
    };
    match organisations::remove_member(&state.app, &signed_in.actor, org, user).await {
        Ok(()) => {
            Redirect::to("/organisation/members?notice=notice.member_removed").into_response()
        }
        Err(e @ app::Error::Refused(_)) => {
            let extras = MembersExtras {
                list_error: Some(message(signed_in.visitor.lang, &e)),
                ..MembersExtras::default()
            };
            members_page(&state, &signed_in, extras, StatusCode::CONFLICT).await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    SignedIn { actor, visitor }: SignedIn,
    Query(q): Query<SearchQuery>,
) -> Response {
    let actor = &actor;
    match organisations::search(&state.app, actor, &q.q).await {
        Ok(found) => ok(&Search {
            page: Page::new(&visitor, "orgs.title"),
            query: q.q,
            rows: found
                .into_iter()
                .map(|o| {
                    let key = org_type_key(o.org_type);
                    (o, key)
                })
                .collect(),
        }),
        Err(e) => app_error(&visitor, &e),
    }
}
