//! The certificate authority's records: its own certificates (`ca_authorities`), the
//! certificates it issued (`certificates`) and its CRLs (`crls`). DER goes in as BLOB
//! (SQLite) / BYTEA (PostgreSQL) through sqlx Any's `Vec<u8>`.
//!
//! Nothing here is ever deleted: certification records are kept (电子签名法 art. 24).

use std::fmt;

use domain::application::CertType;
use domain::ids::{ApplicationId, AuthorityId, CertificateId, OrganisationId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// What a CA certificate is for. Stored as text with a CHECK constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorityRole {
    Root,
    Issuing,
    /// A delegated OCSP responder certificate (several over time).
    Ocsp,
}

impl AuthorityRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityRole::Root => "root",
            AuthorityRole::Issuing => "issuing",
            AuthorityRole::Ocsp => "ocsp",
        }
    }

    pub fn parse(s: &str) -> Option<AuthorityRole> {
        [
            AuthorityRole::Root,
            AuthorityRole::Issuing,
            AuthorityRole::Ocsp,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Where a CA key is kept.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyStorage {
    /// An encrypted PKCS#8 PEM, kept in the database so every instance can open it.
    File { encrypted_pem: String },
    /// In a PKCS#11 token, under this label.
    Pkcs11 { label: String },
}

impl fmt::Debug for KeyStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyStorage::File { .. } => f.write_str("File"),
            KeyStorage::Pkcs11 { label } => write!(f, "Pkcs11({label:?})"),
        }
    }
}

/// One of the CA's own certificates.
#[derive(Clone, Debug)]
pub struct Authority {
    pub id: AuthorityId,
    pub role: AuthorityRole,
    /// The CA that signed it (none for the root).
    pub issuer_id: Option<AuthorityId>,
    /// `ecdsa_p256`, `rsa3072`, `sm2`.
    pub algorithm: String,
    pub certificate: Vec<u8>,
    pub key: KeyStorage,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct AuthorityRow {
    id: String,
    role: String,
    issuer_id: Option<String>,
    algorithm: String,
    certificate: Vec<u8>,
    key_storage: String,
    key_pem: Option<String>,
    key_label: Option<String>,
    not_before: i64,
    not_after: i64,
    created_at: i64,
}

const AUTHORITY_COLUMNS: &str = "id, role, issuer_id, algorithm, certificate, key_storage, key_pem, \
     key_label, not_before, not_after, created_at";

impl AuthorityRow {
    fn into_authority(self) -> Result<Authority, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("ca authority {}", self.id));
        let key = match (self.key_storage.as_str(), self.key_pem, self.key_label) {
            ("file", Some(encrypted_pem), _) => KeyStorage::File { encrypted_pem },
            ("pkcs11", _, Some(label)) => KeyStorage::Pkcs11 { label },
            _ => return Err(corrupt()),
        };
        Ok(Authority {
            id: AuthorityId::parse(&self.id).map_err(|_| corrupt())?,
            role: AuthorityRole::parse(&self.role).ok_or_else(corrupt)?,
            issuer_id: self
                .issuer_id
                .as_deref()
                .map(AuthorityId::parse)
                .transpose()
                .map_err(|_| corrupt())?,
            algorithm: self.algorithm,
            certificate: self.certificate,
            key,
            not_before: from_micros(self.not_before)?,
            not_after: from_micros(self.not_after)?,
            created_at: from_micros(self.created_at)?,
        })
    }
}

/// Records a CA certificate. A second root or issuing CA is refused by the database
/// ([`crate::Conflict::CaExists`]).
pub async fn insert_authority(conn: &mut AnyConnection, a: &Authority) -> Result<(), StoreError> {
    let (storage, pem, label) = match &a.key {
        KeyStorage::File { encrypted_pem } => ("file", Some(encrypted_pem.as_str()), None),
        KeyStorage::Pkcs11 { label } => ("pkcs11", None, Some(label.as_str())),
    };
    sqlx::query(&format!(
        "INSERT INTO ca_authorities ({AUTHORITY_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(a.id.to_text())
    .bind(a.role.as_str())
    .bind(a.issuer_id.map(AuthorityId::to_text))
    .bind(&a.algorithm)
    .bind(a.certificate.clone())
    .bind(storage)
    .bind(pem)
    .bind(label)
    .bind(micros(a.not_before))
    .bind(micros(a.not_after))
    .bind(micros(a.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The root or the issuing CA, if there is one.
pub async fn authority(
    conn: &mut AnyConnection,
    role: AuthorityRole,
) -> Result<Option<Authority>, StoreError> {
    let row: Option<AuthorityRow> = sqlx::query_as(&format!(
        "SELECT {AUTHORITY_COLUMNS} FROM ca_authorities WHERE role = $1 \
         ORDER BY not_after DESC, id DESC LIMIT 1"
    ))
    .bind(role.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(AuthorityRow::into_authority).transpose()
}

/// The OCSP responder certificate to answer with: the newest one of `issuer` valid at `now`.
pub async fn current_responder(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
    now: Timestamp,
) -> Result<Option<Authority>, StoreError> {
    let row: Option<AuthorityRow> = sqlx::query_as(&format!(
        "SELECT {AUTHORITY_COLUMNS} FROM ca_authorities \
         WHERE role = 'ocsp' AND issuer_id = $1 AND not_before <= $2 AND not_after > $2 \
         ORDER BY not_after DESC, id DESC LIMIT 1"
    ))
    .bind(issuer.to_text())
    .bind(micros(now))
    .fetch_optional(conn)
    .await?;
    row.map(AuthorityRow::into_authority).transpose()
}

/// Whether a CA (a root or an issuing certificate) exists.
pub async fn exists(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM ca_authorities WHERE role IN ('root', 'issuing')")
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Whether a certificate is in force. Stored as text with a CHECK constraint; "expired"
/// is not a status, it follows from `not_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateStatus {
    Valid,
    Revoked,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<CertificateStatus> {
        match s {
            "valid" => Some(CertificateStatus::Valid),
            "revoked" => Some(CertificateStatus::Revoked),
            _ => None,
        }
    }
}

/// A certificate as issued, to record.
#[derive(Clone, Debug)]
pub struct NewCertificate {
    pub id: CertificateId,
    /// Upper-case hex of the serial (as OpenSSL prints it).
    pub serial: String,
    pub issuer_id: AuthorityId,
    pub application_id: Option<ApplicationId>,
    pub organisation_id: Option<OrganisationId>,
    pub holder_user_id: Option<UserId>,
    pub cert_type: CertType,
    /// The subject name as text (`CN=…, O=…, C=CN`), for display and search.
    pub subject: String,
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    /// Hex SHA-256 of the SubjectPublicKeyInfo: one key, one subject.
    pub spki_sha256: String,
    /// 锁序列号, when the key lives in a token.
    pub token_serial: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub der: Vec<u8>,
    /// The certificate this one replaces (延期, 补办, 信息变更).
    pub replaces: Option<CertificateId>,
    pub created_at: Timestamp,
}

/// A recorded certificate.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub issued: NewCertificate,
    pub status: CertificateStatus,
    pub revoked_at: Option<Timestamp>,
    /// The CRLReason name (`keyCompromise`, …) when revoked.
    pub revocation_reason: Option<String>,
}

const CERTIFICATE_COLUMNS: &str = "id, serial, issuer_id, application_id, organisation_id, \
     holder_user_id, cert_type, subject, holder_name, organisation_name, credit_code, spki_sha256, \
     token_serial, not_before, not_after, der, replaces, created_at";
const CERTIFICATE_COLUMN_COUNT: usize = 18;

#[derive(FromRow)]
struct CertificateRow {
    id: String,
    serial: String,
    issuer_id: String,
    application_id: Option<String>,
    organisation_id: Option<String>,
    holder_user_id: Option<String>,
    cert_type: String,
    subject: String,
    holder_name: String,
    organisation_name: Option<String>,
    credit_code: Option<String>,
    spki_sha256: String,
    token_serial: Option<String>,
    not_before: i64,
    not_after: i64,
    der: Vec<u8>,
    replaces: Option<String>,
    created_at: i64,
    status: String,
    revoked_at: Option<i64>,
    revocation_reason: Option<String>,
}

impl CertificateRow {
    fn into_certificate(self) -> Result<Certificate, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("certificate {}: {what}", self.id));
        fn opt<T>(
            v: &Option<String>,
            parse: impl Fn(&str) -> Result<T, uuid::Error>,
        ) -> Result<Option<T>, ()> {
            v.as_deref().map(parse).transpose().map_err(|_| ())
        }
        Ok(Certificate {
            issued: NewCertificate {
                id: CertificateId::parse(&self.id).map_err(|_| corrupt("id"))?,
                issuer_id: AuthorityId::parse(&self.issuer_id).map_err(|_| corrupt("issuer"))?,
                application_id: opt(&self.application_id, ApplicationId::parse)
                    .map_err(|_| corrupt("application"))?,
                organisation_id: opt(&self.organisation_id, OrganisationId::parse)
                    .map_err(|_| corrupt("organisation"))?,
                holder_user_id: opt(&self.holder_user_id, UserId::parse)
                    .map_err(|_| corrupt("holder"))?,
                cert_type: CertType::parse(&self.cert_type).map_err(|_| corrupt("cert_type"))?,
                replaces: opt(&self.replaces, CertificateId::parse)
                    .map_err(|_| corrupt("replaces"))?,
                not_before: from_micros(self.not_before)?,
                not_after: from_micros(self.not_after)?,
                created_at: from_micros(self.created_at)?,
                serial: self.serial,
                subject: self.subject,
                holder_name: self.holder_name,
                organisation_name: self.organisation_name,
                credit_code: self.credit_code,
                spki_sha256: self.spki_sha256,
                token_serial: self.token_serial,
                der: self.der,
            },
            status: CertificateStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            revoked_at: self.revoked_at.map(from_micros).transpose()?,
            revocation_reason: self.revocation_reason,
        })
    }
}

/// Rows per INSERT statement: 18 parameters each stays under SQLite's 32,766.
const INSERT_CHUNK: usize = 1000;

/// Records certificates, many rows per statement. Run it in a transaction: a batching
/// writer records a whole group with one commit (one fsync).
pub async fn insert_certificates(
    conn: &mut AnyConnection,
    certificates: &[NewCertificate],
) -> Result<(), StoreError> {
    for chunk in certificates.chunks(INSERT_CHUNK) {
        let mut sql = format!("INSERT INTO certificates ({CERTIFICATE_COLUMNS}, status) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..CERTIFICATE_COLUMN_COUNT {
                sql.push_str(&format!("${}, ", i * CERTIFICATE_COLUMN_COUNT + c + 1));
            }
            sql.push_str("'valid')");
        }
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.id.to_text())
                .bind(c.serial.clone())
                .bind(c.issuer_id.to_text())
                .bind(c.application_id.map(ApplicationId::to_text))
                .bind(c.organisation_id.map(OrganisationId::to_text))
                .bind(c.holder_user_id.map(UserId::to_text))
                .bind(c.cert_type.as_str())
                .bind(c.subject.clone())
                .bind(c.holder_name.clone())
                .bind(c.organisation_name.clone())
                .bind(c.credit_code.clone())
                .bind(c.spki_sha256.clone())
                .bind(c.token_serial.clone())
                .bind(micros(c.not_before))
                .bind(micros(c.not_after))
                .bind(c.der.clone())
                .bind(c.replaces.map(CertificateId::to_text))
                .bind(micros(c.created_at));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A certificate by serial (upper-case hex, as OpenSSL prints it).
pub async fn by_serial(
    conn: &mut AnyConnection,
    serial: &str,
) -> Result<Option<Certificate>, StoreError> {
    let row: Option<CertificateRow> = sqlx::query_as(&format!(
        "SELECT {CERTIFICATE_COLUMNS}, status, revoked_at, revocation_reason \
         FROM certificates WHERE serial = $1"
    ))
    .bind(serial)
    .fetch_optional(conn)
    .await?;
    row.map(CertificateRow::into_certificate).transpose()
}

/// A certificate's DER, by its id.
pub async fn certificate_der(
    conn: &mut AnyConnection,
    id: CertificateId,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT der FROM certificates WHERE id = $1")
        .bind(id.to_text())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(d,)| d))
}

/// The certificates produced for an order, oldest first.
pub async fn for_application(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Vec<Certificate>, StoreError> {
    let rows: Vec<CertificateRow> = sqlx::query_as(&format!(
        "SELECT {CERTIFICATE_COLUMNS}, status, revoked_at, revocation_reason \
         FROM certificates WHERE application_id = $1 ORDER BY created_at, id"
    ))
    .bind(application.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(CertificateRow::into_certificate)
        .collect()
}

/// How many certificates were produced for an order.
pub async fn count_for_application(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<u32, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM certificates WHERE application_id = $1")
            .bind(application.to_text())
            .fetch_one(conn)
            .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// How many certificates were issued.
pub async fn count_certificates(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM certificates")
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What is known of a public key: the subjects it was certified for, and whether it was
/// ever revoked as compromised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyUse {
    pub subjects: Vec<String>,
    pub compromised: bool,
}

/// Holds, until the transaction ends, the right to certify this key (hex SHA-256 of its
/// SubjectPublicKeyInfo): a second transaction certifying it waits here, so the check that
/// the key is not certified for another subject cannot be raced. On PostgreSQL an advisory
/// transaction lock; SQLite write transactions (`BEGIN IMMEDIATE`) run one at a time anyway.
pub async fn lock_key(conn: &mut AnyConnection, spki_sha256: &str) -> Result<(), StoreError> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l")
            .bind(spki_sha256)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The certificates on a key (hex SHA-256 of its SubjectPublicKeyInfo).
pub async fn key_use(conn: &mut AnyConnection, spki_sha256: &str) -> Result<KeyUse, StoreError> {
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT subject, revocation_reason FROM certificates WHERE spki_sha256 = $1",
    )
    .bind(spki_sha256)
    .fetch_all(conn)
    .await?;
    let mut out = KeyUse::default();
    for (subject, reason) in rows {
        out.compromised |= reason.as_deref() == Some("keyCompromise");
        if !out.subjects.contains(&subject) {
            out.subjects.push(subject);
        }
    }
    Ok(out)
}

/// What is known of many keys at once (a group of productions): [`key_use`] for each.
pub async fn key_uses(
    conn: &mut AnyConnection,
    spki_sha256: &[&str],
) -> Result<std::collections::HashMap<String, KeyUse>, StoreError> {
    let mut out: std::collections::HashMap<String, KeyUse> = std::collections::HashMap::new();
    for chunk in spki_sha256.chunks(crate::MANY_ROWS) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT spki_sha256, subject, revocation_reason FROM certificates \
             WHERE spki_sha256 IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String, Option<String>)>(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for (spki, subject, reason) in q.fetch_all(&mut *conn).await? {
            let used = out.entry(spki).or_default();
            used.compromised |= reason.as_deref() == Some("keyCompromise");
            if !used.subjects.contains(&subject) {
                used.subjects.push(subject);
            }
        }
    }
    Ok(out)
}

/// Revokes a valid certificate. False when there is no such certificate or it is revoked
/// already (the conditional UPDATE lets one revocation win).
pub async fn revoke(
    conn: &mut AnyConnection,
    serial: &str,
    at: Timestamp,
    reason: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = $2 \
         WHERE serial = $3 AND status = 'valid'",
    )
    .bind(micros(at))
    .bind(reason)
    .bind(serial)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One entry of a CRL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    pub serial: String,
    pub revoked_at: Timestamp,
    pub reason: String,
}

/// Rows read per page when walking the revoked certificates.
const REVOKED_PAGE: i64 = 100_000;

/// Calls `each` for every revoked certificate of `issuer`, a page at a time (pages in
/// serial order, keyset on the covering partial index `certificates_revoked`; within a page
/// the order is the database's): the driver's memory stays bounded however long the CRL.
pub async fn for_each_revoked(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
    mut each: impl FnMut(RevokedEntry) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    // A page comes back as one text of `serial time reason` entries: decoding a million
    // rows one by one through the driver was most of a large CRL's time.
    let aggregate = if conn.backend_name() == "PostgreSQL" {
        "string_agg"
    } else {
        "group_concat"
    };
    let sql = format!(
        "SELECT {aggregate}(serial || ' ' || CAST(revoked_at AS TEXT) || ' ' || revocation_reason, ','), \
         MAX(serial), COUNT(*) FROM (SELECT serial, revoked_at, revocation_reason FROM certificates \
         WHERE issuer_id = $1 AND status = 'revoked' AND serial > $2 \
         ORDER BY serial LIMIT $3) AS page"
    );
    let mut after = String::new();
    let mut count = 0;
    loop {
        let (text, last, n): (Option<String>, Option<String>, i64) = sqlx::query_as(&sql)
            .bind(issuer.to_text())
            .bind(&after)
            .bind(REVOKED_PAGE)
            .fetch_one(&mut *conn)
            .await?;
        for entry in text.as_deref().unwrap_or_default().split(',') {
            if entry.is_empty() {
                continue;
            }
            let mut parts = entry.splitn(3, ' ');
            let (Some(serial), Some(at), Some(reason)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(StoreError::Corrupt(format!(
                    "revoked certificate without time or reason: {entry}"
                )));
            };
            let at: i64 = at
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("revoked_at of {serial}: {at}")))?;
            each(RevokedEntry {
                serial: serial.to_owned(),
                revoked_at: from_micros(at)?,
                reason: reason.to_owned(),
            })?;
            count += 1;
        }
        match last {
            Some(last) if n >= REVOKED_PAGE => after = last,
            _ => return Ok(count),
        }
    }
}

/// Takes the next CRL number of `issuer`. The UPDATE also locks the CA's row until the
/// transaction ends, so two revocations on two instances write their CRLs one after the
/// other, each listing what the other committed.
pub async fn next_crl_number(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
) -> Result<u64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "UPDATE ca_authorities SET crl_number = crl_number + 1 WHERE id = $1 RETURNING crl_number",
    )
    .bind(issuer.to_text())
    .fetch_one(conn)
    .await?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("crl number {n}")))
}

/// The number of the newest CRL of `issuer` (0 before the first): other instances poll it
/// to learn of a revocation.
pub async fn crl_revision(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
) -> Result<u64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT crl_number FROM ca_authorities WHERE id = $1")
        .bind(issuer.to_text())
        .fetch_one(conn)
        .await?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("crl number {n}")))
}

/// A published CRL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl {
    pub issuer_id: AuthorityId,
    pub number: u64,
    pub this_update: Timestamp,
    pub next_update: Timestamp,
    pub der: Vec<u8>,
}

pub async fn insert_crl(conn: &mut AnyConnection, crl: &Crl) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crls (issuer_id, number, this_update, next_update, der) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(crl.issuer_id.to_text())
    .bind(i64::try_from(crl.number).map_err(|_| StoreError::Corrupt("crl number".into()))?)
    .bind(micros(crl.this_update))
    .bind(micros(crl.next_update))
    .bind(crl.der.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest CRL of `issuer`.
pub async fn latest_crl(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
) -> Result<Option<Crl>, StoreError> {
    let row: Option<(i64, i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT number, this_update, next_update, der FROM crls WHERE issuer_id = $1 \
         ORDER BY number DESC LIMIT 1",
    )
    .bind(issuer.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(|(number, this_update, next_update, der)| {
        Ok(Crl {
            issuer_id: issuer,
            number: u64::try_from(number)
                .map_err(|_| StoreError::Corrupt(format!("crl number {number}")))?,
            this_update: from_micros(this_update)?,
            next_update: from_micros(next_update)?,
            der,
        })
    })
    .transpose()
}
