//! 人员管理: the organisation admin adds and removes the people who act for it.

use domain::account::Role;
use domain::ident::Phone;
use domain::ids::{OrganisationId, UserId};
use domain::organisation::MemberRole;
use domain::text::PersonName;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{memberships, users};

use crate::accounts::optional_email;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors, passwords, random};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub name: String,
    /// Masked (138****0001) unless the viewer manages the organisation.
    pub mobile: String,
    pub email: Option<String>,
    /// admin (单位管理员) | member.
    #[schema(value_type = String)]
    pub role: MemberRole,
    #[schema(value_type = String)]
    pub added_at: Timestamp,
}

#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AddMemberInput {
    pub name: String,
    pub mobile: String,
    #[serde(default)]
    pub email: String,
    /// admin | member; default member.
    #[serde(default)]
    pub role: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AddedMember {
    #[schema(value_type = String)]
    pub user_id: UserId,
    /// Set when a new account was created: the initial password, shown this once.
    /// The person must change it at first sign-in.
    pub initial_password: Option<String>,
}

pub async fn list_members(
    app: &App,
    actor: &Actor,
    org: OrganisationId,
) -> Result<Vec<MemberView>, Error> {
    authorize(actor, Action::ViewMembers(org))?;
    let full = authorize(actor, Action::ManageMembers(org)).is_ok();
    let mut conn = app.store.conn().await?;
    let members = memberships::list(&mut conn, org).await?;
    Ok(members
        .into_iter()
        .map(|m| MemberView {
            user_id: m.user_id,
            name: m.name,
            mobile: if full {
                m.mobile.as_str().to_owned()
            } else {
                m.mobile.masked()
            },
            email: m.email,
            role: m.role,
            added_at: m.added_at,
        })
        .collect())
}

/// Adds a person by mobile number. An existing applicant account that belongs to no
/// organisation joins (its name must match what the admin typed); otherwise a new
/// account is created with an initial password that must be changed at first sign-in.
pub async fn add_member(
    app: &App,
    actor: &Actor,
    org: OrganisationId,
    input: &AddMemberInput,
) -> Result<AddedMember, Error> {
    authorize(actor, Action::ManageMembers(org))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", PersonName::parse(&input.name));
    let mobile = errors.check("mobile", Phone::parse(&input.mobile));
    let email = optional_email(&mut errors, "email", &input.email);
    let role = if input.role.trim().is_empty() {
        Some(MemberRole::Member)
    } else {
        errors.check("role", MemberRole::parse(input.role.trim()))
    };
    errors.into_result()?;
    let (Some(name), Some(mobile), Some(role)) = (name, mobile, role) else {
        return Err(Error::Internal(
            "parsed fields missing without errors".into(),
        ));
    };

    let mut conn = app.store.conn().await?;
    let existing = users::find_by_mobile(&mut conn, &mobile).await?;
    let mut initial_password = None;
    let mut hash = None;
    match &existing {
        Some(u) if u.role != Role::Applicant => {
            return Err(Error::field("mobile", "member.is_staff"));
        }
        Some(u) if u.name != name.as_str() => {
            return Err(Error::field("name", "member.name_mismatch"));
        }
        Some(u) => {
            if memberships::active_of(&mut conn, u.id).await?.is_some() {
                return Err(Error::field("mobile", "member.in_other_org"));
            }
            if store::individuals::id_number_of(&mut conn, u.id)
                .await?
                .is_some()
            {
                return Err(Error::field("mobile", "member.is_individual"));
            }
        }
        None => {
            let password = random::password(app.random.as_ref());
            let mut salt = [0u8; 16];
            app.random.fill(&mut salt);
            hash = Some(passwords::hash(password.clone(), salt).await?);
            initial_password = Some(password);
        }
    }
    drop(conn);

    let now = app.now();
    let mut tx = app.store.begin().await?;
    let user_id = match (&existing, &hash) {
        (Some(u), _) => u.id,
        (None, Some(hash)) => {
            let id = UserId::new();
            users::insert(
                &mut tx,
                &users::NewUser {
                    id,
                    mobile: &mobile,
                    name: name.as_str(),
                    email: email.as_ref(),
                    password_hash: hash,
                    role: Role::Applicant,
                    must_change_password: true,
                    created_at: now,
                },
            )
            .await
            .map_err(crate::accounts::conflict_to_field)?;
            id
        }
        (None, None) => return Err(Error::Internal("no account and no password".into())),
    };
    memberships::add(&mut tx, org, user_id, role, actor.id, now)
        .await
        .map_err(crate::accounts::conflict_to_field)?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "organisation.member_added",
        &format!("organisation:{org}"),
        &format!("user {user_id} added as {}", role.as_str()),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(organisation = %org, user = %user_id, "member added");
    Ok(AddedMember {
        user_id,
        initial_password,
    })
}

/// Ends a person's membership. The last admin cannot be removed: someone must manage the people.
pub async fn remove_member(
    app: &App,
    actor: &Actor,
    org: OrganisationId,
    user: UserId,
) -> Result<(), Error> {
    authorize(actor, Action::ManageMembers(org))?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let members = memberships::list(&mut tx, org).await?;
    let Some(target) = members.iter().find(|m| m.user_id == user) else {
        return Err(Error::NotFound);
    };
    if target.role == MemberRole::Admin && memberships::count_admins(&mut tx, org).await? <= 1 {
        return Err(Error::Refused("member.last_admin"));
    }
    memberships::end(&mut tx, org, user, actor.id, now).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "organisation.member_removed",
        &format!("organisation:{org}"),
        &format!("user {user} removed"),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(organisation = %org, user = %user, "member removed");
    Ok(())
}
