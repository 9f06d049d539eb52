//! 修改密码. Changing the password ends every session of the person and opens a new one.

use serde::{Deserialize, Serialize};
use store::users;

use super::new_password;
use super::register::hash_new_password;
use super::sessions::{NewSession, open};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors, passwords};

#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
}

pub async fn change_password(
    app: &App,
    actor: &Actor,
    input: &ChangePasswordInput,
) -> Result<NewSession, Error> {
    authorize(actor, Action::ChangeOwnPassword)?;
    let mut errors = FieldErrors::new();
    let password = new_password(
        &mut errors,
        "new_password",
        "new_password_confirm",
        &input.new_password,
        &input.new_password_confirm,
    );
    let mut conn = app.store.conn().await?;
    let user = users::find(&mut conn, actor.id)
        .await?
        .ok_or(Error::NotFound)?;
    drop(conn);
    if !passwords::verify(input.current_password.clone(), user.password_hash).await? {
        errors.add("current_password", "password.wrong_current");
    }
    if password.is_some() && input.new_password == input.current_password {
        errors.add("new_password", "password.unchanged");
    }
    errors.into_result()?;
    let Some(password) = password else {
        return Err(Error::Internal("parsed password missing".into()));
    };
    let hash = hash_new_password(app, &password).await?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    users::set_password(&mut tx, actor.id, &hash, false).await?;
    store::sessions::delete_for_user(&mut tx, actor.id).await?;
    let session = open(app, &mut tx, actor.id).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "account.password_changed",
        &format!("user:{}", actor.id),
        "",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(session)
}
