//! 工作台: what each person sees first after signing in.

use domain::account::Role;
use serde::Serialize;

use crate::authz::{Action, authorize};
use crate::organisations::OrganisationView;
use crate::{Actor, App, Error};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dashboard {
    /// An applicant acting for an organisation.
    Organisation {
        organisation: OrganisationView,
        is_admin: bool,
        member_count: usize,
    },
    /// 个人.
    Individual {
        /// Masked ID number.
        id_number: String,
    },
    /// An applicant who belongs to no organisation (removed from one) and is no individual.
    Unattached,
    /// Staff: the desk's figures.
    Staff {
        #[schema(value_type = String)]
        role: Role,
        organisations: i64,
        accounts: Vec<RoleCount>,
    },
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RoleCount {
    #[schema(value_type = String)]
    pub role: Role,
    pub count: i64,
}

pub async fn overview(app: &App, actor: &Actor) -> Result<Dashboard, Error> {
    authorize(actor, Action::ViewDashboard)?;
    let mut conn = app.store.conn().await?;
    if actor.role.is_staff() {
        let organisations = store::organisations::count(&mut conn).await?;
        let accounts = store::users::count_by_role(&mut conn)
            .await?
            .into_iter()
            .map(|(role, count)| RoleCount { role, count })
            .collect();
        return Ok(Dashboard::Staff {
            role: actor.role,
            organisations,
            accounts,
        });
    }
    if let Some(org) = actor.organisation() {
        drop(conn);
        let organisation = crate::organisations::profile(app, actor, org).await?;
        let members = crate::organisations::list_members(app, actor, org).await?;
        return Ok(Dashboard::Organisation {
            organisation,
            is_admin: actor.is_org_admin(),
            member_count: members.len(),
        });
    }
    match store::individuals::id_number_of(&mut conn, actor.id).await? {
        Some(id) => Ok(Dashboard::Individual {
            id_number: id.masked(),
        }),
        // An applicant removed from their organisation: neither, until they join another.
        None => Ok(Dashboard::Unattached),
    }
}
