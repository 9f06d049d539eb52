//! Reading issued certificates back (the records production and 证书管理 build on).

use bytes::Bytes;
use domain::ids::CertificateId;
use jiff::Timestamp;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

pub use store::ca::CertificateStatus;

/// An issued certificate as recorded.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub id: CertificateId,
    pub serial: String,
    pub subject: String,
    pub status: CertificateStatus,
    pub revoked_at: Option<Timestamp>,
    pub revocation_reason: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub der: Bytes,
}

/// The certificate with this serial (hex).
pub async fn certificate(app: &App, actor: &Actor, serial: &str) -> Result<Certificate, Error> {
    authorize(actor, Action::ViewCertificates)?;
    let serial = pki::Serial::from_hex(serial)
        .map_err(|_| Error::field("serial", "ca.serial_invalid"))?
        .to_hex();
    let mut conn = app.store.conn().await?;
    let c = store::ca::by_serial(&mut conn, &serial)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Certificate {
        id: c.issued.id,
        serial: c.issued.serial,
        subject: c.issued.subject,
        status: c.status,
        revoked_at: c.revoked_at,
        revocation_reason: c.revocation_reason,
        not_before: c.issued.not_before,
        not_after: c.issued.not_after,
        der: Bytes::from(c.issued.der),
    })
}

/// How many certificates were issued.
pub async fn count(app: &App, actor: &Actor) -> Result<u64, Error> {
    authorize(actor, Action::ViewCertificates)?;
    let mut conn = app.store.conn().await?;
    Ok(store::ca::count_certificates(&mut conn).await?)
}
