//! 证书登录 and 绑定CA: a one-time challenge that a certificate's key signs.
//!
//! Whoever asks (a browser on the sign-in page, the tool at the command line, a signed-in
//! person binding a key) gets a short code and keeps a secret. The USB-key tool fetches the
//! challenge by its code, signs [`domain::account::challenge_message`] with the token's key
//! and sends the signature with its certificate. The server checks the certificate is one
//! this CA issued (chain), in its validity, not revoked, and the signature; then
//! - for a bind, that the certificate is the asker's (their organisation's, or their own as
//!   an individual) and bound to no other account, and binds it;
//! - for a login, that it is bound to an account (its own binding or one of the certificate
//!   it renewed), and lets the holder of the secret open a session once, after checking the
//!   certificate again.

use base64::Engine as _;
use domain::account::challenge_message;
use domain::ids::{BindingId, ChallengeId, UserId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use store::bindings::{Challenge, Purpose};
use store::ca::{Certificate, CertificateStatus};

use super::sessions::{NewSession, actor_of, open, token_hash};
use crate::authz::{Action, CertificateOwner, authorize};
use crate::{Actor, App, Error, random};

/// How long a code can be signed and used.
pub const CHALLENGE_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Letters and digits without look-alikes (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A challenge just made: `secret` stays with the asker (a cookie, the tool's memory).
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct StartedChallenge {
    /// What the person types into the tool, e.g. `K7QM-3XTP`.
    pub code: String,
    pub nonce: String,
    /// `login` or `bind`.
    pub purpose: String,
    /// Completes a login (`POST /api/v1/auth/certificate/session`); shown once.
    pub secret: String,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for StartedChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartedChallenge")
            .field("code", &self.code)
            .field("purpose", &self.purpose)
            .field("secret", &"<secret>")
            .finish_non_exhaustive()
    }
}

/// What the tool needs to sign a challenge.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChallengeInfo {
    pub code: String,
    pub purpose: String,
    pub nonce: String,
    /// The exact text to sign (also built by the tool itself).
    pub message: String,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
}

/// The tool's answer: the certificate (PEM, or base64 DER) and the signature (base64).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SignatureInput {
    pub certificate: String,
    pub signature: String,
}

/// A challenge signed: whose certificate, and for a bind, that it is bound.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Signed {
    pub purpose: String,
    pub serial: String,
    pub holder_name: String,
}

/// A certificate bound to one's account, as the 绑定CA page lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BindingView {
    #[schema(value_type = String)]
    pub id: BindingId,
    pub serial: String,
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub cert_type: String,
    #[schema(value_type = String)]
    pub bound_at: Timestamp,
    #[schema(value_type = String)]
    pub not_after: Timestamp,
    /// 有效 / 已吊销 / 已过期.
    pub standing: String,
}

/// How a login stands for the holder of its secret.
pub enum LoginOutcome {
    /// Not signed yet: the tool has not answered.
    Waiting { code: String, expires_at: Timestamp },
    /// Signed and checked: a session for the bound account.
    SignedIn(NewSession),
}

/// Normalises a typed code: upper case, without spaces or dashes, then `XXXX-XXXX`.
pub fn normalise_code(raw: &str) -> Option<String> {
    let plain: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (plain.len() == 8 && plain.bytes().all(|b| CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &plain[..4], &plain[4..]))
}

fn draw_code(app: &App) -> String {
    let mut buf = [0u8; 8];
    app.random.fill(&mut buf);
    let chars: String = buf
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// 证书登录: a login challenge for whoever asks (no session needed).
pub async fn start_login(app: &App) -> Result<StartedChallenge, Error> {
    start(app, Purpose::Login, None).await
}

/// 绑定CA: a bind challenge for the signed-in person.
pub async fn start_binding(app: &App, actor: &Actor) -> Result<StartedChallenge, Error> {
    authorize(actor, Action::ManageBindings)?;
    start(app, Purpose::Bind, Some(actor.id)).await
}

async fn start(
    app: &App,
    purpose: Purpose,
    user: Option<UserId>,
) -> Result<StartedChallenge, Error> {
    let now = app.now();
    let secret = random::token(&*app.random);
    let nonce = random::token(&*app.random);
    let mut conn = app.store.conn().await?;
    // A code is 40 bits: a clash is rare, and the database says so; draw again then.
    for _ in 0..4 {
        let challenge = Challenge {
            id: ChallengeId::new(),
            purpose,
            code: draw_code(app),
            nonce: nonce.clone(),
            user_id: user,
            created_at: now,
            expires_at: now + CHALLENGE_TTL,
            certificate_id: None,
            signed_at: None,
            used_at: None,
        };
        match store::bindings::insert_challenge(&mut conn, &challenge, &token_hash(&secret)).await {
            Ok(()) => {
                return Ok(StartedChallenge {
                    code: challenge.code,
                    nonce,
                    purpose: purpose.as_str().into(),
                    secret,
                    expires_at: challenge.expires_at,
                });
            }
            Err(e) if e.conflict() == Some(store::Conflict::ChallengeCode) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "no free challenge code in four draws".into(),
    ))
}

/// A live challenge by its code, for the tool to sign: refused when unknown, expired,
/// or answered already.
pub async fn challenge(app: &App, code: &str) -> Result<ChallengeInfo, Error> {
    let c = live_challenge(app, code).await?;
    Ok(ChallengeInfo {
        message: challenge_message(c.purpose.as_str(), &c.code, &c.nonce),
        purpose: c.purpose.as_str().into(),
        code: c.code,
        nonce: c.nonce,
        expires_at: c.expires_at,
    })
}

async fn live_challenge(app: &App, code: &str) -> Result<Challenge, Error> {
    let code = normalise_code(code).ok_or(Error::Refused("certlogin.code_unknown"))?;
    let mut conn = app.store.conn().await?;
    let c = store::bindings::challenge_by_code(&mut conn, &code)
        .await?
        .ok_or(Error::Refused("certlogin.code_unknown"))?;
    if c.expires_at <= app.now() {
        return Err(Error::Refused("certlogin.code_expired"));
    }
    if c.signed_at.is_some() {
        return Err(Error::Refused("certlogin.code_answered"));
    }
    Ok(c)
}

/// The certificate presented, checked: issued by this CA (its record matches and the
/// issuing CA's signature verifies), in its validity at `now`, not revoked. With its
/// public key.
async fn checked_certificate(
    conn: &mut store::AnyConnection,
    der: &[u8],
    now: Timestamp,
) -> Result<(Certificate, pki::PublicKey), Error> {
    use crate::certificates::{Presented, presented};
    use x509_parser::prelude::{FromDer, X509Certificate};
    let malformed = || Error::field("certificate", "certlogin.certificate_malformed");
    let (record, spki) = match presented(conn, der).await? {
        Presented::Malformed => return Err(malformed()),
        Presented::Unknown => return Err(Error::Refused("certlogin.certificate_unknown")),
        Presented::Issued { record, spki } => (*record, spki),
    };
    let serial = &record.issued.serial;
    let issuer = store::certificates::issuer_certificate(conn, record.issued.issuer_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("issuer of {serial} missing")))?;
    let (_, issuer_cert) = X509Certificate::from_der(&issuer)
        .map_err(|e| Error::Internal(format!("issuing CA certificate: {e}")))?;
    let chained = pki::PublicKey::from_spki_der(issuer_cert.tbs_certificate.subject_pki.raw)
        .and_then(|k| k.verify_certificate(der))
        .is_ok();
    let issuer_valid = issuer_cert.validity().is_valid_at(
        x509_parser::time::ASN1Time::from_timestamp(now.as_second())
            .map_err(|e| Error::Internal(format!("time: {e}")))?,
    );
    if !chained || !issuer_valid {
        return Err(Error::Refused("certlogin.certificate_untrusted"));
    }
    if record.status == CertificateStatus::Revoked {
        return Err(Error::Refused("certlogin.certificate_revoked"));
    }
    if now < record.issued.not_before || now >= record.issued.not_after {
        return Err(Error::Refused("certlogin.certificate_expired"));
    }
    let key = pki::PublicKey::from_spki_der(&spki).map_err(|_| malformed())?;
    Ok((record, key))
}

/// The tool's answer to a challenge: the certificate and its key's signature. A bind is
/// carried out at once; a login waits for the holder of the secret.
pub async fn sign_challenge(
    app: &App,
    code: &str,
    input: &SignatureInput,
) -> Result<Signed, Error> {
    let challenge = live_challenge(app, code).await?;
    let der = crate::certificates::presented_der(&input.certificate)
        .ok_or_else(|| Error::field("certificate", "certlogin.certificate_malformed"))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(input.signature.trim())
        .map_err(|_| Error::field("signature", "certlogin.signature_malformed"))?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let (cert, key) = checked_certificate(&mut tx, &der, now).await?;
    let message = challenge_message(
        challenge.purpose.as_str(),
        &challenge.code,
        &challenge.nonce,
    );
    if key.verify(message.as_bytes(), &signature).is_err() {
        tracing::info!(challenge = %challenge.id, serial = %cert.issued.serial, "challenge signature refused");
        return Err(Error::field("signature", "certlogin.signature_bad"));
    }
    match challenge.purpose {
        Purpose::Login => {
            if store::bindings::account_of(&mut tx, cert.issued.id)
                .await?
                .is_none()
            {
                return Err(Error::Refused("certlogin.not_bound"));
            }
        }
        Purpose::Bind => {
            let user = challenge
                .user_id
                .ok_or_else(|| Error::Internal("bind challenge without its asker".into()))?;
            let asker = actor_of(&mut tx, user).await?.ok_or(Error::Forbidden)?;
            authorize(
                &asker,
                Action::BindCertificate(CertificateOwner {
                    organisation: cert.issued.organisation_id,
                    holder: cert.issued.holder_user_id,
                }),
            )
            .map_err(|_| Error::Refused("certlogin.not_yours"))?;
            bind(&mut tx, &cert, user, now).await?;
        }
    }
    if !store::bindings::mark_signed(&mut tx, challenge.id, cert.issued.id, now).await? {
        return Err(Error::Refused("certlogin.code_answered"));
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(challenge = %challenge.id, serial = %cert.issued.serial, purpose = challenge.purpose.as_str(), "challenge signed");
    Ok(Signed {
        purpose: challenge.purpose.as_str().into(),
        serial: cert.issued.serial,
        holder_name: cert.issued.holder_name,
    })
}

async fn bind(
    conn: &mut store::AnyConnection,
    cert: &Certificate,
    user: UserId,
    now: Timestamp,
) -> Result<(), Error> {
    // Bound already to this account: no error. Asked before the insert, because on
    // PostgreSQL a failed insert aborts the transaction and nothing can be read after it.
    if store::bindings::of_user(conn, user)
        .await?
        .iter()
        .any(|b| b.certificate_id == cert.issued.id)
    {
        return Ok(());
    }
    let id = BindingId::new();
    match store::bindings::bind(conn, id, cert.issued.id, user, now).await {
        Ok(()) => {}
        // Bound to another account: one key, one account.
        Err(e) if e.conflict() == Some(store::Conflict::CertificateBinding) => {
            return Err(Error::Refused("certlogin.bound_elsewhere"));
        }
        Err(e) => return Err(e.into()),
    }
    store::audit::append(
        conn,
        now,
        Some(user),
        "certificate.bound",
        &format!("certificate:{}", cert.issued.id),
        &format!("binding {id} user {user}"),
    )
    .await?;
    Ok(())
}

/// The browser's (or the tool's) next step with its secret: waiting while the code is not
/// signed; once signed, the certificate is checked again (revoked meanwhile? unbound?) and
/// a session opens for its account, once.
pub async fn finish_login(app: &App, secret: &str) -> Result<LoginOutcome, Error> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let c = store::bindings::challenge_by_secret(&mut tx, &token_hash(secret))
        .await?
        .filter(|c| c.purpose == Purpose::Login)
        .ok_or(Error::Refused("certlogin.code_unknown"))?;
    if c.used_at.is_some() {
        return Err(Error::Refused("certlogin.code_answered"));
    }
    // Signed or not, the browser completes within the code's five minutes.
    if c.expires_at <= now {
        return Err(Error::Refused("certlogin.code_expired"));
    }
    let Some(certificate) = c.certificate_id else {
        return Ok(LoginOutcome::Waiting {
            code: c.code,
            expires_at: c.expires_at,
        });
    };
    let der = store::ca::certificate_der(&mut tx, certificate)
        .await?
        .ok_or_else(|| Error::Internal(format!("certificate {certificate} missing")))?;
    let (cert, _) = checked_certificate(&mut tx, &der, now).await?;
    let user = store::bindings::account_of(&mut tx, cert.issued.id)
        .await?
        .ok_or(Error::Refused("certlogin.not_bound"))?;
    if actor_of(&mut tx, user).await?.is_none() {
        return Err(Error::Refused("certlogin.not_bound"));
    }
    if !store::bindings::mark_used(&mut tx, c.id, now).await? {
        return Err(Error::Refused("certlogin.code_answered"));
    }
    let session = open(app, &mut tx, user).await?;
    store::audit::append(
        &mut tx,
        now,
        Some(user),
        "account.certificate_sign_in",
        &format!("user:{user}"),
        &format!("certificate {}", cert.issued.serial),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %user, serial = %cert.issued.serial, "signed in with a certificate");
    Ok(LoginOutcome::SignedIn(session))
}

/// 绑定CA: the certificates bound to one's account.
pub async fn bindings(app: &App, actor: &Actor) -> Result<Vec<BindingView>, Error> {
    authorize(actor, Action::ManageBindings)?;
    let now = app.now();
    let mut conn = app.store.conn().await?;
    Ok(store::bindings::of_user(&mut conn, actor.id)
        .await?
        .into_iter()
        .map(|b| BindingView {
            standing: if b.revoked {
                "revoked"
            } else if b.not_after <= now {
                "expired"
            } else {
                "valid"
            }
            .into(),
            id: b.id,
            serial: b.serial,
            holder_name: b.holder_name,
            organisation_name: b.organisation_name,
            cert_type: b.cert_type,
            bound_at: b.bound_at,
            not_after: b.not_after,
        })
        .collect())
}

/// 解除绑定: ends one of one's bindings.
pub async fn unbind(app: &App, actor: &Actor, id: BindingId) -> Result<(), Error> {
    authorize(actor, Action::ManageBindings)?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if !store::bindings::unbind(&mut tx, actor.id, id, now).await? {
        return Err(Error::NotFound);
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "certificate.unbound",
        &format!("user:{}", actor.id),
        &format!("binding {id}"),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
