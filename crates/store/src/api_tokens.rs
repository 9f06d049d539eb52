//! Personal API tokens. Only a token's SHA-256 is kept; a token ends by expiring or by
//! being revoked, and its row stays.

use domain::ids::{ApiTokenId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// A token as its owner sees it (never the token itself).
#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    /// The token's first characters, e.g. `cdt_Ab3x`.
    pub hint: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, user_id, name, hint, scopes, created_at, expires_at, last_used_at, revoked_at";

#[derive(FromRow)]
struct Row {
    id: String,
    user_id: String,
    name: String,
    hint: String,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<Row> for ApiToken {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("api token {}", r.id));
        Ok(ApiToken {
            id: ApiTokenId::parse(&r.id).map_err(|_| corrupt())?,
            user_id: UserId::parse(&r.user_id).map_err(|_| corrupt())?,
            created_at: from_micros(r.created_at)?,
            expires_at: from_micros(r.expires_at)?,
            last_used_at: r.last_used_at.map(from_micros).transpose()?,
            revoked_at: r.revoked_at.map(from_micros).transpose()?,
            name: r.name,
            hint: r.hint,
            scopes: r.scopes,
        })
    }
}

/// Records a new token by its hex SHA-256.
pub async fn insert(
    conn: &mut AnyConnection,
    token: &ApiToken,
    token_sha256: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_sha256, hint, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token.id.to_text())
    .bind(token.user_id.to_text())
    .bind(&token.name)
    .bind(token_sha256)
    .bind(&token.hint)
    .bind(&token.scopes)
    .bind(micros(token.created_at))
    .bind(micros(token.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The user's tokens, newest first (revoked and expired ones too).
pub async fn of_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(user.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(ApiToken::try_from).collect()
}

/// The token with this hash, if it is in force at `now` (not revoked, not expired).
pub async fn find_live(
    conn: &mut AnyConnection,
    token_sha256: &str,
    now: Timestamp,
) -> Result<Option<ApiToken>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens \
         WHERE token_sha256 = $1 AND revoked_at IS NULL AND expires_at > $2"
    ))
    .bind(token_sha256)
    .bind(micros(now))
    .fetch_optional(conn)
    .await?;
    row.map(ApiToken::try_from).transpose()
}

/// Notes a use of the token (callers do it at most once a minute or so).
pub async fn touch(
    conn: &mut AnyConnection,
    id: ApiTokenId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id.to_text())
        .bind(micros(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes the user's token. False when the user has no such token in force.
pub async fn revoke(
    conn: &mut AnyConnection,
    user: UserId,
    id: ApiTokenId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id.to_text())
    .bind(user.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
