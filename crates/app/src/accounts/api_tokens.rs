//! 个人令牌: personal API tokens for the USB-key tool. A person makes one with a name, the
//! scopes it needs and a validity; the token is shown once and only its SHA-256 is kept. A
//! token acts as its person, limited to its scopes (`authz::Scopes`), until it expires or
//! is revoked. Tokens are made and revoked from a session only, never with a token.

use domain::ids::ApiTokenId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use store::api_tokens::ApiToken;

use super::sessions::token_hash;
use crate::authz::{Action, Scope, Scopes, authorize};
use crate::{Actor, App, Error, FieldErrors, random};

/// What every token starts with, so a leaked one is recognised (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "cdt_";
/// The validity offered when none is typed, and the longest allowed.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_DAYS: i64 = 365;
const HINT_CHARS: usize = 8;
const NAME_MAX_CHARS: usize = 40;
/// A token's last use is written at most this often.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(5);

/// 新建令牌: the form.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewTokenInput {
    /// 名称, e.g. "办理点 2 号机".
    pub name: String,
    /// Scope names: `certificates`, `production`, `applications`, `binding`.
    pub scopes: Vec<String>,
    /// 有效期（天）, 1 to 365; empty means 90.
    pub days: String,
}

/// A token as its person sees it (never the token itself).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    #[schema(value_type = String)]
    pub id: ApiTokenId,
    pub name: String,
    /// The token's first characters, e.g. `cdt_Ab3x`.
    pub hint: String,
    pub scopes: Vec<Scope>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<Timestamp>,
    /// In force: neither revoked nor expired.
    pub live: bool,
}

impl ApiTokenView {
    fn of(t: ApiToken, now: Timestamp) -> ApiTokenView {
        let scopes = Scopes::parse(t.scopes.split_whitespace())
            .unwrap_or_default()
            .iter()
            .collect();
        ApiTokenView {
            live: t.revoked_at.is_none() && t.expires_at > now,
            id: t.id,
            name: t.name,
            hint: t.hint,
            scopes,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just made: `token` is shown this once and is stored nowhere.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub token: String,
    pub view: ApiTokenView,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("token", &"<secret>")
            .field("view", &self.view)
            .finish()
    }
}

/// One's own tokens, newest first, revoked and expired ones too.
pub async fn list_tokens(app: &App, actor: &Actor) -> Result<Vec<ApiTokenView>, Error> {
    authorize(actor, Action::ManageApiTokens)?;
    let now = app.now();
    let mut conn = app.store.conn().await?;
    Ok(store::api_tokens::of_user(&mut conn, actor.id)
        .await?
        .into_iter()
        .map(|t| ApiTokenView::of(t, now))
        .collect())
}

/// Makes a token. Refused next to the field: an empty or over-long name, no scope or an
/// unknown one, a validity that is not 1–365 days.
pub async fn create_token(
    app: &App,
    actor: &Actor,
    input: &NewTokenInput,
) -> Result<NewToken, Error> {
    authorize(actor, Action::ManageApiTokens)?;
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.add("name", "api_token.name_required");
    } else if name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        errors.add("name", "api_token.name_invalid");
    }
    let scopes = Scopes::parse(input.scopes.iter().map(String::as_str));
    match scopes {
        None => errors.add("scopes", "api_token.scope_unknown"),
        Some(s) if s.is_empty() => errors.add("scopes", "api_token.scope_required"),
        Some(_) => {}
    }
    let days = match input.days.trim() {
        "" => Some(DEFAULT_DAYS),
        d => match d.parse::<i64>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Some(n),
            _ => {
                errors.add("days", "api_token.days_invalid");
                None
            }
        },
    };
    errors.into_result()?;
    let (Some(scopes), Some(days)) = (scopes, days) else {
        return Err(Error::Internal("checked token fields missing".into()));
    };

    let now = app.now();
    let token = format!("{TOKEN_PREFIX}{}", random::token(&*app.random));
    let record = ApiToken {
        id: ApiTokenId::new(),
        user_id: actor.id,
        name: name.to_owned(),
        hint: token.chars().take(HINT_CHARS).collect(),
        scopes: scopes.to_text(),
        created_at: now,
        expires_at: now + SignedDuration::from_hours(24 * days),
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = app.store.begin().await?;
    store::api_tokens::insert(&mut tx, &record, &token_hash(&token)).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "api_token.created",
        &format!("user:{}", actor.id),
        &format!(
            "token {} hint {} scopes {} days {days}",
            record.id, record.hint, record.scopes
        ),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %actor.id, token = %record.id, "personal API token created");
    Ok(NewToken {
        token,
        view: ApiTokenView::of(record, now),
    })
}

/// Revokes one of one's own tokens in force.
pub async fn revoke_token(app: &App, actor: &Actor, id: ApiTokenId) -> Result<(), Error> {
    authorize(actor, Action::ManageApiTokens)?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if !store::api_tokens::revoke(&mut tx, actor.id, id, now).await? {
        return Err(Error::NotFound);
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "api_token.revoked",
        &format!("user:{}", actor.id),
        &format!("token {id}"),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %actor.id, token = %id, "personal API token revoked");
    Ok(())
}

/// Whether `presented` looks like a personal API token (and not a session token).
pub fn is_api_token(presented: &str) -> bool {
    presented.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The person a token acts as, limited to its scopes, if the token is in force and its
/// person is not disabled.
pub async fn authenticate_token(
    app: &App,
    presented: &str,
) -> Result<Option<super::Session>, Error> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let Some(token) = store::api_tokens::find_live(&mut conn, &token_hash(presented), now).await?
    else {
        return Ok(None);
    };
    let Some(actor) = super::sessions::actor_of(&mut conn, token.user_id).await? else {
        return Ok(None);
    };
    if token
        .last_used_at
        .is_none_or(|at| now.duration_since(at) >= TOUCH_EVERY)
    {
        store::api_tokens::touch(&mut conn, token.id, now).await?;
    }
    let scopes = Scopes::parse(token.scopes.split_whitespace())
        .ok_or_else(|| Error::Internal(format!("api token {} scopes", token.id)))?;
    Ok(Some(super::Session {
        actor: actor.with_scopes(scopes),
        csrf_token: String::new(),
    }))
}
