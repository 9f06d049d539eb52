//! Staff and other accounts, created by an admin (web) or at the command line
//! (`certdesk admin create-user`).

use domain::account::{Password, Role};
use domain::ident::Phone;
use domain::ids::UserId;
use domain::text::PersonName;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::users;

use crate::accounts::{conflict_to_field, optional_email};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors, passwords, random};

#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CreateUserInput {
    pub mobile: String,
    pub name: String,
    /// applicant | reviewer | operator | finance | admin.
    pub role: String,
    #[serde(default)]
    pub email: String,
    /// Empty: certdesk generates one, returns it once, and asks for a change at first sign-in.
    #[serde(default)]
    pub password: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[schema(value_type = String)]
    pub user_id: UserId,
    /// The generated password, when none was given.
    pub generated_password: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[schema(value_type = String)]
    pub id: UserId,
    pub name: String,
    /// Masked: 138****0001.
    pub mobile: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub disabled: bool,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

pub async fn create_user(
    app: &App,
    actor: &Actor,
    input: &CreateUserInput,
) -> Result<CreatedUser, Error> {
    authorize(actor, Action::ManageUsers)?;
    let mut errors = FieldErrors::new();
    let mobile = errors.check("mobile", Phone::parse(&input.mobile));
    let name = errors.check("name", PersonName::parse(&input.name));
    let role = errors.check("role", Role::parse(input.role.trim()));
    let email = optional_email(&mut errors, "email", &input.email);
    let given = if input.password.is_empty() {
        None
    } else {
        errors.check("password", Password::parse(&input.password))
    };
    errors.into_result()?;
    let (Some(mobile), Some(name), Some(role)) = (mobile, name, role) else {
        return Err(Error::Internal(
            "parsed fields missing without errors".into(),
        ));
    };
    let (password, generated) = match given {
        Some(p) => (p.expose().to_owned(), false),
        None => (random::password(app.random.as_ref()), true),
    };
    let mut salt = [0u8; 16];
    app.random.fill(&mut salt);
    let hash = passwords::hash(password.clone(), salt).await?;
    let now = app.now();
    let id = UserId::new();
    let mut tx = app.store.begin().await?;
    users::insert(
        &mut tx,
        &users::NewUser {
            id,
            mobile: &mobile,
            name: name.as_str(),
            email: email.as_ref(),
            password_hash: &hash,
            role,
            must_change_password: generated,
            created_at: now,
        },
    )
    .await
    .map_err(conflict_to_field)?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "user.created",
        &format!("user:{id}"),
        &format!("role {}", role.as_str()),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %id, role = role.as_str(), "user created");
    Ok(CreatedUser {
        user_id: id,
        generated_password: generated.then_some(password),
    })
}

pub async fn list_users(
    app: &App,
    actor: &Actor,
    role: Option<Role>,
) -> Result<Vec<UserView>, Error> {
    authorize(actor, Action::ManageUsers)?;
    let mut conn = app.store.conn().await?;
    let list = users::list(&mut conn, role, 500).await?;
    Ok(list
        .into_iter()
        .map(|u| UserView {
            id: u.id,
            name: u.name,
            mobile: u.mobile.masked(),
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
        })
        .collect())
}
