//! A linked platform looks up a certificate by serial with its API key.

use jiff::Timestamp;
use serde::Serialize;
use store::ca::CertificateStatus;

use super::key_digest;
use crate::{App, Error};

/// Whether the certificate may be relied on now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupStatus {
    /// In force: not revoked, and now within its validity.
    Valid,
    /// Revoked (注销, 补办, 信息变更, key compromise): see `revoked_at` and `revocation_reason`.
    Revoked,
    /// Ended (`not_after` has passed) without being revoked.
    Expired,
    /// Not revoked, but its validity has not begun (a 延期 certificate runs from the old
    /// certificate's end).
    NotYetValid,
}

/// What a platform learns about a certificate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateLookup {
    /// Upper-case hex, as OpenSSL prints it.
    pub serial: String,
    pub status: LookupStatus,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<Timestamp>,
    /// The CRLReason name (`keyCompromise`, `superseded`, `cessationOfOperation`, …).
    pub revocation_reason: Option<String>,
    /// The person, seal or organisation the certificate is for.
    pub holder_name: String,
    pub organisation_name: Option<String>,
    /// 统一社会信用代码 of the organisation.
    pub uscc: Option<String>,
    /// `org_master`, `org_staff`, `personal` or `seal`.
    pub cert_type: String,
    /// The subject as text (`CN=…, O=…, C=CN`).
    pub subject: String,
    #[schema(value_type = String)]
    pub not_before: Timestamp,
    #[schema(value_type = String)]
    pub not_after: Timestamp,
    /// The issuing CA's name, as in the certificate (`C=CN, O=…, CN=…`).
    pub issuer: String,
}

/// The certificate with `serial` (hex), for the platform presenting `key`.
///
/// A missing, unknown or revoked key, or one of an inactive platform: `Unauthenticated`
/// (checked first, so a caller without a key learns nothing about serials). A serial that
/// is not hex: a field error. An unknown serial: `NotFound`.
pub async fn look_up(app: &App, key: &str, serial: &str) -> Result<CertificateLookup, Error> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::Unauthenticated);
    }
    let mut conn = app.store.conn().await?;
    let platform = match store::platform_keys::platform_by_key(&mut conn, &key_digest(key)).await? {
        Some((platform, true)) => platform,
        _ => return Err(Error::Unauthenticated),
    };
    let serial = pki::Serial::from_hex(serial.trim())
        .map_err(|_| Error::field("serial", "ca.serial_invalid"))?
        .to_hex();
    // Any certificate of this CA (see the module documentation).
    let c = store::ca::by_serial(&mut conn, &serial)
        .await?
        .ok_or(Error::NotFound)?;
    drop(conn);
    let now = app.now();
    let status = match c.status {
        CertificateStatus::Revoked => LookupStatus::Revoked,
        CertificateStatus::Valid if now >= c.issued.not_after => LookupStatus::Expired,
        CertificateStatus::Valid if now < c.issued.not_before => LookupStatus::NotYetValid,
        CertificateStatus::Valid => LookupStatus::Valid,
    };
    tracing::debug!(platform = %platform, certificate = %c.issued.id, "certificate looked up by a platform");
    Ok(CertificateLookup {
        issuer: issuer_name(&c.issued.der),
        serial: c.issued.serial,
        status,
        revoked_at: c.revoked_at,
        revocation_reason: c.revocation_reason,
        holder_name: c.issued.holder_name,
        organisation_name: c.issued.organisation_name,
        uscc: c.issued.credit_code,
        cert_type: c.issued.cert_type.as_str().to_owned(),
        subject: c.issued.subject,
        not_before: c.issued.not_before,
        not_after: c.issued.not_after,
    })
}

/// The issuer name of a certificate (DER), as text; empty if it cannot be read (it was
/// read back from what this CA signed, so that does not happen).
fn issuer_name(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert.issuer().to_string(),
        Err(e) => {
            tracing::warn!(error = %e, "stored certificate does not parse");
            String::new()
        }
    }
}
