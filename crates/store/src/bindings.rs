//! 绑定CA and 证书登录: certificates bound to accounts, and the one-time challenges their
//! keys sign. At most one binding per certificate is in force (partial unique index
//! `certificate_bindings_one_account`); 解除绑定 ends it and the row stays.

use domain::ids::{BindingId, CertificateId, ChallengeId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// A binding in force, with what the account page shows of its certificate.
#[derive(Clone, Debug)]
pub struct Binding {
    pub id: BindingId,
    pub certificate_id: CertificateId,
    pub user_id: UserId,
    pub bound_at: Timestamp,
    pub serial: String,
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub cert_type: String,
    pub not_after: Timestamp,
    pub revoked: bool,
}

#[derive(FromRow)]
struct BindingRow {
    id: String,
    certificate_id: String,
    user_id: String,
    bound_at: i64,
    serial: String,
    holder_name: String,
    organisation_name: Option<String>,
    cert_type: String,
    not_after: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<BindingRow> for Binding {
    type Error = StoreError;
    fn try_from(r: BindingRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("certificate binding {}", r.id));
        Ok(Binding {
            id: BindingId::parse(&r.id).map_err(|_| corrupt())?,
            certificate_id: CertificateId::parse(&r.certificate_id).map_err(|_| corrupt())?,
            user_id: UserId::parse(&r.user_id).map_err(|_| corrupt())?,
            bound_at: from_micros(r.bound_at)?,
            not_after: from_micros(r.not_after)?,
            revoked: r.revoked_at.is_some(),
            serial: r.serial,
            holder_name: r.holder_name,
            organisation_name: r.organisation_name,
            cert_type: r.cert_type,
        })
    }
}

const BINDING_COLUMNS: &str = "b.id, b.certificate_id, b.user_id, b.bound_at, c.serial, \
     c.holder_name, c.organisation_name, c.cert_type, c.not_after, c.revoked_at";
const BINDING_FROM: &str = "certificate_bindings b JOIN certificates c ON c.id = b.certificate_id";

/// Binds the certificate to the user. `StoreError::Conflict("certificate_bindings_one_account")`
/// when it is bound already (to anyone).
pub async fn bind(
    conn: &mut AnyConnection,
    id: BindingId,
    certificate: CertificateId,
    user: UserId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO certificate_bindings (id, certificate_id, user_id, bound_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_text())
    .bind(certificate.to_text())
    .bind(user.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the user's binding. False when the user has no such binding in force.
pub async fn unbind(
    conn: &mut AnyConnection,
    user: UserId,
    id: BindingId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certificate_bindings SET unbound_at = $3 \
         WHERE id = $1 AND user_id = $2 AND unbound_at IS NULL",
    )
    .bind(id.to_text())
    .bind(user.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The user's bindings in force, newest first.
pub async fn of_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<Binding>, StoreError> {
    let rows: Vec<BindingRow> = sqlx::query_as(&format!(
        "SELECT {BINDING_COLUMNS} FROM {BINDING_FROM} \
         WHERE b.user_id = $1 AND b.unbound_at IS NULL ORDER BY b.bound_at DESC, b.id DESC"
    ))
    .bind(user.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Binding::try_from).collect()
}

/// The account a certificate logs into: the binding in force of the certificate itself or,
/// when a renewal or replacement has not been bound yet, of the certificate it replaces,
/// and so on back (a key renewed by 延期 keeps its account).
pub async fn account_of(
    conn: &mut AnyConnection,
    certificate: CertificateId,
) -> Result<Option<UserId>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "WITH RECURSIVE chain (id, replaces, depth) AS ( \
             SELECT id, replaces, 0 FROM certificates WHERE id = $1 \
             UNION ALL \
             SELECT c.id, c.replaces, chain.depth + 1 \
             FROM certificates c JOIN chain ON c.id = chain.replaces WHERE chain.depth < 64) \
         SELECT b.user_id FROM chain JOIN certificate_bindings b ON b.certificate_id = chain.id \
         WHERE b.unbound_at IS NULL ORDER BY chain.depth LIMIT 1",
    )
    .bind(certificate.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(|(u,)| UserId::parse(&u).map_err(|_| StoreError::Corrupt(format!("binding user {u}"))))
        .transpose()
}

/// What a challenge is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Bind,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Bind => "bind",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "login" => Some(Purpose::Login),
            "bind" => Some(Purpose::Bind),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Challenge {
    pub id: ChallengeId,
    pub purpose: Purpose,
    pub code: String,
    pub nonce: String,
    /// Who asked, for a bind.
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The certificate whose key signed it, once signed.
    pub certificate_id: Option<CertificateId>,
    pub signed_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct ChallengeRow {
    id: String,
    purpose: String,
    code: String,
    nonce: String,
    user_id: Option<String>,
    created_at: i64,
    expires_at: i64,
    certificate_id: Option<String>,
    signed_at: Option<i64>,
    used_at: Option<i64>,
}

impl TryFrom<ChallengeRow> for Challenge {
    type Error = StoreError;
    fn try_from(r: ChallengeRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("certificate challenge {}", r.id));
        Ok(Challenge {
            id: ChallengeId::parse(&r.id).map_err(|_| corrupt())?,
            purpose: Purpose::parse(&r.purpose).ok_or_else(corrupt)?,
            user_id: r
                .user_id
                .as_deref()
                .map(UserId::parse)
                .transpose()
                .map_err(|_| corrupt())?,
            certificate_id: r
                .certificate_id
                .as_deref()
                .map(CertificateId::parse)
                .transpose()
                .map_err(|_| corrupt())?,
            created_at: from_micros(r.created_at)?,
            expires_at: from_micros(r.expires_at)?,
            signed_at: r.signed_at.map(from_micros).transpose()?,
            used_at: r.used_at.map(from_micros).transpose()?,
            code: r.code,
            nonce: r.nonce,
        })
    }
}

const CHALLENGE_COLUMNS: &str = "id, purpose, code, nonce, user_id, created_at, expires_at, \
     certificate_id, signed_at, used_at";

/// Records a new challenge. `StoreError::Conflict("certificate_challenges_code_key")` when
/// the code is taken (draw another).
pub async fn insert_challenge(
    conn: &mut AnyConnection,
    c: &Challenge,
    secret_sha256: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO certificate_challenges \
         (id, purpose, code, nonce, secret_sha256, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.id.to_text())
    .bind(c.purpose.as_str())
    .bind(&c.code)
    .bind(&c.nonce)
    .bind(secret_sha256)
    .bind(c.user_id.map(UserId::to_text))
    .bind(micros(c.created_at))
    .bind(micros(c.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The challenge with this code.
pub async fn challenge_by_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<Challenge>, StoreError> {
    let row: Option<ChallengeRow> = sqlx::query_as(&format!(
        "SELECT {CHALLENGE_COLUMNS} FROM certificate_challenges WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.map(Challenge::try_from).transpose()
}

/// The challenge whose asker holds the secret with this hash.
pub async fn challenge_by_secret(
    conn: &mut AnyConnection,
    secret_sha256: &str,
) -> Result<Option<Challenge>, StoreError> {
    let row: Option<ChallengeRow> = sqlx::query_as(&format!(
        "SELECT {CHALLENGE_COLUMNS} FROM certificate_challenges WHERE secret_sha256 = $1"
    ))
    .bind(secret_sha256)
    .fetch_optional(conn)
    .await?;
    row.map(Challenge::try_from).transpose()
}

/// Marks the challenge signed by the certificate's key, once, while it is live. False when
/// it was signed already or has expired.
pub async fn mark_signed(
    conn: &mut AnyConnection,
    id: ChallengeId,
    certificate: CertificateId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certificate_challenges SET certificate_id = $2, signed_at = $3 \
         WHERE id = $1 AND signed_at IS NULL AND expires_at > $3",
    )
    .bind(id.to_text())
    .bind(certificate.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Uses a signed challenge, once. False when it was used already.
pub async fn mark_used(
    conn: &mut AnyConnection,
    id: ChallengeId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certificate_challenges SET used_at = $2 \
         WHERE id = $1 AND signed_at IS NOT NULL AND used_at IS NULL",
    )
    .bind(id.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes challenges that expired before `before` (used or not: a challenge is good for
/// minutes, and sign-ins and bindings are in the audit log). Their codes become free again.
pub async fn delete_challenges_before(
    conn: &mut AnyConnection,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM certificate_challenges WHERE expires_at < $1")
        .bind(micros(before))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
