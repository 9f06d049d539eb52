//! 登录 / 退出: sessions live in the database, so any instance can serve any request.
//! The browser holds a random token; the database holds only its SHA-256.

use domain::ident::Phone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{memberships, sessions, sign_in_failures, users};

use crate::{Actor, App, Error, FieldErrors, passwords, random};

/// How long a session lives without use.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);
/// After this many failed sign-ins for one login within [`THROTTLE_WINDOW`], the login is locked.
pub const MAX_FAILURES: usize = 5;
pub const THROTTLE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SignInInput {
    /// 手机号码.
    pub mobile: String,
    pub password: String,
}

/// A session just opened: the token goes to the client once and is never stored.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// A live session: who is acting, and the token that must accompany their forms.
#[derive(Clone, Debug)]
pub struct Session {
    pub actor: Actor,
    pub csrf_token: String,
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn sign_in(app: &App, input: &SignInInput) -> Result<NewSession, Error> {
    let mut errors = FieldErrors::new();
    let mobile = errors.check("mobile", Phone::parse(&input.mobile));
    if input.password.is_empty() {
        errors.add("password", "password.required");
    }
    errors.into_result()?;
    let Some(mobile) = mobile else {
        return Err(Error::Internal("parsed mobile missing".into()));
    };

    let now = app.now();
    let login = mobile.as_str();
    let mut conn = app.store.conn().await?;
    let recent =
        sign_in_failures::since(&mut conn, login, now - THROTTLE_WINDOW, MAX_FAILURES as i64)
            .await?;
    if recent.len() >= MAX_FAILURES {
        // Locked until the oldest of the counted failures leaves the window.
        let until = recent[0] + THROTTLE_WINDOW;
        let retry_after_secs = until.duration_since(now).as_secs().max(1);
        tracing::warn!(login = %mobile.masked(), "sign-in throttled");
        return Err(Error::Throttled { retry_after_secs });
    }

    let user = users::find_by_mobile(&mut conn, &mobile).await?;
    drop(conn);
    let hash = user.as_ref().map_or_else(
        || passwords::DUMMY_HASH.to_owned(),
        |u| u.password_hash.clone(),
    );
    let matches = passwords::verify(input.password.clone(), hash).await?;
    let user = match user {
        Some(u) if matches && !u.disabled => u,
        _ => {
            let mut conn = app.store.conn().await?;
            sign_in_failures::record(&mut conn, login, now).await?;
            tracing::info!(login = %mobile.masked(), "sign-in failed");
            return Err(Error::BadCredentials);
        }
    };

    let mut tx = app.store.begin().await?;
    sign_in_failures::clear(&mut tx, login).await?;
    let new = open(app, &mut tx, user.id).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %user.id, "signed in");
    Ok(new)
}

/// Opens a session for `user` inside the caller's transaction.
pub(crate) async fn open(
    app: &App,
    conn: &mut store::AnyConnection,
    user: domain::ids::UserId,
) -> Result<NewSession, Error> {
    let now = app.now();
    let token = random::token(app.random.as_ref());
    let csrf_token = random::token(app.random.as_ref());
    let expires_at = now + SESSION_TTL;
    sessions::insert(
        conn,
        &token_hash(&token),
        user,
        &csrf_token,
        now,
        expires_at,
    )
    .await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
    })
}

/// The session a token opens, if it is live; sessions in use are kept alive.
pub async fn authenticate(app: &App, token: &str) -> Result<Option<Session>, Error> {
    let now = app.now();
    let hash = token_hash(token);
    let mut conn = app.store.conn().await?;
    let Some(session) = sessions::find_live(&mut conn, &hash, now).await? else {
        return Ok(None);
    };
    let Some(actor) = actor_of(&mut conn, session.user_id).await? else {
        return Ok(None);
    };
    // Slide the expiry only when half of it is used up: one write per six hours, not per request.
    if session.expires_at.duration_since(now) < SESSION_TTL / 2 {
        sessions::extend(&mut conn, &hash, now + SESSION_TTL).await?;
    }
    Ok(Some(Session {
        actor,
        csrf_token: session.csrf_token,
    }))
}

/// The person acting as `user`, as loaded for this request (their membership, whether
/// they are an individual); none when the account is gone or disabled.
pub(crate) async fn actor_of(
    conn: &mut store::AnyConnection,
    user: domain::ids::UserId,
) -> Result<Option<Actor>, Error> {
    let Some(u) = users::find(conn, user).await? else {
        return Ok(None);
    };
    if u.disabled {
        return Ok(None);
    }
    let membership = memberships::active_of(conn, u.id).await?;
    let individual = store::individuals::id_number_of(conn, u.id)
        .await?
        .is_some();
    Ok(Some(Actor::from_user(&u, membership, individual)))
}

pub async fn sign_out(app: &App, token: &str) -> Result<(), Error> {
    let mut conn = app.store.conn().await?;
    sessions::delete(&mut conn, &token_hash(token)).await?;
    Ok(())
}
