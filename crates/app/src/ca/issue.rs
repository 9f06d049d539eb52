//! Issuing: the narrow entry point production (制证) calls. A certificate is signed, then
//! recorded, and only a recorded certificate is returned (STYLE.md).
//!
//! Batching: [`issue_many`] takes many requests (of any actors) and records every accepted
//! one in one transaction, so a group-committing writer pays one commit (one fsync) per
//! group. Refusals are per request and record nothing; a database failure records nothing
//! and fails them all. [`issue`] is a batch of one.

use bytes::Bytes;
use domain::application::CertType;
use domain::ids::{ApplicationId, CertificateId, OrganisationId, UserId};
use jiff::Timestamp;
use pki::{Attribute, Profile, PublicKey, SubjectData};
use store::ca::NewCertificate;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// What production asks the CA for.
#[derive(Clone, Debug)]
pub struct IssueRequest {
    /// Verified subject data from the reviewed application (never from the CSR).
    pub subject: SubjectData,
    pub cert_type: CertType,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// From the parsed CSR (proof of possession checked by `pki::Csr::parse`).
    pub public_key: PublicKey,
    pub application: Option<ApplicationId>,
    pub organisation: Option<OrganisationId>,
    pub holder: Option<UserId>,
    /// 锁序列号, when the key lives in a token.
    pub token_serial: Option<String>,
    /// The certificate this one replaces.
    pub replaces: Option<CertificateId>,
}

/// A recorded certificate.
#[derive(Clone, Debug)]
pub struct IssuedCertificate {
    pub id: CertificateId,
    /// Upper-case hex, as OpenSSL prints it.
    pub serial: String,
    pub subject: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub der: Bytes,
}

impl IssuedCertificate {
    pub fn to_pem(&self) -> String {
        pki::certificate_pem(&self.der)
    }
}

/// Issues one certificate: see [`issue_many`].
pub async fn issue(
    app: &App,
    actor: &Actor,
    request: &IssueRequest,
) -> Result<IssuedCertificate, Error> {
    issue_many(app, &[(actor, request)])
        .await?
        .pop()
        .unwrap_or(Err(Error::Internal("empty issuance batch".into())))
}

/// Issues a batch: each request is authorised for its actor and checked (a key certified
/// for another subject, or revoked as compromised, is refused), the accepted ones are
/// signed and recorded in one transaction with their audit entries, and the answers come
/// back in request order once committed.
pub async fn issue_many(
    app: &App,
    requests: &[(&Actor, &IssueRequest)],
) -> Result<Vec<Result<IssuedCertificate, Error>>, Error> {
    let ca = app.require_ca()?.clone();
    let now = app.now();
    let mut answers: Vec<Result<IssuedCertificate, Error>> = Vec::with_capacity(requests.len());
    let mut rows: Vec<NewCertificate> = Vec::with_capacity(requests.len());
    let mut tx = app.store.begin().await?;
    // Each key is locked for this transaction before it is checked, so two issuances of one
    // key to different subjects cannot both pass the check (PostgreSQL; SQLite write
    // transactions are one at a time already). Sorted, so two batches never wait on each other
    // in opposite orders.
    let mut keys: Vec<String> = requests
        .iter()
        .map(|(_, r)| hex::encode(r.public_key.sha256()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in &keys {
        store::ca::lock_key(&mut tx, key).await?;
    }
    for (actor, request) in requests {
        if let Err(e) = authorize(actor, Action::ProduceCertificate) {
            answers.push(Err(e));
            continue;
        }
        let (row, issued) = match sign(&ca, request, now) {
            Ok(signed) => signed,
            Err(e) => {
                answers.push(Err(e));
                continue;
            }
        };
        // The batch's earlier rows count too: they are not inserted yet.
        let in_batch = rows
            .iter()
            .filter(|r| r.spki_sha256 == row.spki_sha256)
            .map(|r| r.subject.as_str());
        if let Err(e) = check_key(&mut tx, &row, in_batch).await? {
            answers.push(Err(e));
            continue;
        }
        audit(&mut tx, actor, &row).await?;
        answers.push(Ok(issued));
        rows.push(row);
    }
    store::ca::insert_certificates(&mut tx, &rows).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    for row in &rows {
        tracing::info!(certificate = %row.id, serial = %row.serial, "certificate issued");
    }
    Ok(answers)
}

/// Builds and signs the certificate a request asks for (no authorisation, no database):
/// the row to record and the answer to return once it is recorded. Signing needs no
/// transaction, so callers sign before they take the writer.
pub(crate) fn sign(
    ca: &super::Ca,
    request: &IssueRequest,
    now: Timestamp,
) -> Result<(NewCertificate, IssuedCertificate), Error> {
    let profile = Profile::for_cert_type(request.cert_type);
    let tbs = ca
        .issuing
        .prepare(&pki::EndEntity {
            serial: pki::Serial::random(),
            subject: &request.subject,
            public_key: &request.public_key,
            not_before: request.not_before,
            not_after: request.not_after,
            profile: &profile,
            urls: &ca.urls,
        })
        .map_err(|e| match e {
            pki::CertError::MissingSubjectData(_) => Error::Refused("ca.subject_incomplete"),
            pki::CertError::BadValidity => Error::Refused("ca.validity_invalid"),
            other => Error::Internal(format!("preparing a certificate: {other}")),
        })?;
    let subject = display_name(tbs.subject());
    let holder_name = request
        .subject
        .person_name
        .clone()
        .or_else(|| request.subject.seal_name.clone())
        .or_else(|| {
            request
                .subject
                .organisation
                .as_ref()
                .map(|o| o.name.clone())
        })
        .unwrap_or_default();
    let signed = ca
        .issuing
        .sign(&tbs)
        .map_err(|e| Error::Internal(format!("signing: {e}")))?;
    let row = NewCertificate {
        id: CertificateId::new(),
        serial: signed.serial().to_hex(),
        issuer_id: ca.issuing_id,
        application_id: request.application,
        organisation_id: request.organisation,
        holder_user_id: request.holder,
        cert_type: request.cert_type,
        subject,
        holder_name,
        organisation_name: request
            .subject
            .organisation
            .as_ref()
            .map(|o| o.name.clone()),
        credit_code: request
            .subject
            .organisation
            .as_ref()
            .map(|o| o.code.as_str().to_owned()),
        spki_sha256: hex::encode(request.public_key.sha256()),
        token_serial: request.token_serial.clone(),
        not_before: request.not_before,
        not_after: request.not_after,
        der: signed.into_der(),
        replaces: request.replaces,
        created_at: now,
    };
    let issued = IssuedCertificate {
        id: row.id,
        serial: row.serial.clone(),
        subject: row.subject.clone(),
        not_before: row.not_before,
        not_after: row.not_after,
        der: Bytes::from(row.der.clone()),
    };
    Ok((row, issued))
}

/// The key of `row` may be certified: for this subject only (`pending` are subjects
/// certified on it in this transaction but not yet inserted), and never revoked as
/// compromised. Lock the key first ([`store::ca::lock_key`]). The outer error is the
/// database's; the inner one the refusal.
pub(crate) async fn check_key<'a>(
    conn: &mut store::AnyConnection,
    row: &NewCertificate,
    mut pending: impl Iterator<Item = &'a str>,
) -> Result<Result<(), Error>, Error> {
    let used = store::ca::key_use(conn, &row.spki_sha256).await?;
    let other = |s: &str| s != row.subject;
    if used.compromised || used.subjects.iter().any(|s| other(s)) || pending.any(other) {
        return Ok(Err(Error::Refused("ca.key_in_use")));
    }
    Ok(Ok(()))
}

pub(crate) async fn audit(
    conn: &mut store::AnyConnection,
    actor: &Actor,
    row: &NewCertificate,
) -> Result<(), Error> {
    store::audit::append(
        conn,
        row.created_at,
        actor.audit_id(),
        "certificate.issue",
        &row.serial,
        &format!("id={} type={}", row.id, row.cert_type),
    )
    .await?;
    Ok(())
}

/// The subject as text, most specific first (RFC 4514 order): `CN=…, O=…, C=CN`.
pub(crate) fn display_name(name: &pki::DistinguishedName) -> String {
    name.attributes()
        .iter()
        .rev()
        .map(|(a, v)| {
            let key = match a {
                Attribute::Country => "C",
                Attribute::Organisation => "O",
                Attribute::OrganisationalUnit => "OU",
                Attribute::OrganisationIdentifier => "organizationIdentifier",
                Attribute::SerialNumber => "serialNumber",
                Attribute::CommonName => "CN",
            };
            format!("{key}={v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
