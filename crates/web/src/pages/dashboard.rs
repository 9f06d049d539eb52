//! 工作台, per role.

use app::dashboard::{self, Dashboard};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::account::Role;

use super::{NoticeQuery, Page, SignedIn, app_error, ok};
use crate::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    page: Page,
    dashboard: Dashboard,
    org_type_key: &'static str,
    role_counts: Vec<(&'static str, i64)>,
    is_admin_desk: bool,
    desk_hint: &'static str,
}

pub fn org_type_key(t: domain::organisation::OrgType) -> &'static str {
    use domain::organisation::OrgType;
    match t {
        OrgType::Purchaser => "org_type.purchaser",
        OrgType::Supplier => "org_type.supplier",
        OrgType::Agency => "org_type.agency",
    }
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Applicant => "role.applicant",
        Role::Reviewer => "role.reviewer",
        Role::Operator => "role.operator",
        Role::Finance => "role.finance",
        Role::Admin => "role.admin",
    }
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn { actor, visitor }: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let actor = &actor;
    let dashboard = match dashboard::overview(&state.app, actor).await {
        Ok(d) => d,
        Err(e) => return app_error(&visitor, &e),
    };
    let (org_type_key, role_counts, desk_hint) = match &dashboard {
        Dashboard::Organisation { organisation, .. } => {
            (self::org_type_key(organisation.org_type), Vec::new(), "")
        }
        Dashboard::Staff { role, accounts, .. } => (
            "",
            accounts
                .iter()
                .map(|c| (role_label(c.role), c.count))
                .collect(),
            match role {
                Role::Reviewer => "dashboard.hint_reviewer",
                Role::Operator => "dashboard.hint_operator",
                Role::Finance => "dashboard.hint_finance",
                _ => "dashboard.hint_admin",
            },
        ),
        _ => ("", Vec::new(), ""),
    };
    ok(&DashboardPage {
        page: Page::new(&visitor, "dashboard.title").with_notice(q.notice.as_deref()),
        is_admin_desk: actor.role == Role::Admin,
        dashboard,
        org_type_key,
        role_counts,
        desk_hint,
    })
}
