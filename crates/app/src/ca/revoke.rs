//! Revocation: a valid certificate becomes revoked, the next CRL is published in the same
//! transaction, and the OCSP answer changes at once here (and within a second elsewhere,
//! through [`super::watch`]).

use jiff::Timestamp;
use pki::RevocationReason;
use store::ca::CertificateStatus;

use super::crl;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// The CRLReason names as stored (RFC 5280 §5.3.1 spelling).
const REASONS: [(RevocationReason, &str); 7] = [
    (RevocationReason::Unspecified, "unspecified"),
    (RevocationReason::KeyCompromise, "keyCompromise"),
    (RevocationReason::CaCompromise, "cACompromise"),
    (RevocationReason::AffiliationChanged, "affiliationChanged"),
    (RevocationReason::Superseded, "superseded"),
    (
        RevocationReason::CessationOfOperation,
        "cessationOfOperation",
    ),
    (RevocationReason::PrivilegeWithdrawn, "privilegeWithdrawn"),
];

pub fn reason_name(reason: RevocationReason) -> &'static str {
    REASONS
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or("unspecified", |(_, n)| n)
}

pub fn reason_from_name(name: &str) -> Option<RevocationReason> {
    REASONS.iter().find(|(_, n)| *n == name).map(|(r, _)| *r)
}

/// What [`revoke`] did.
#[derive(Clone, Debug)]
pub struct Revocation {
    pub serial: String,
    pub revoked_at: Timestamp,
    pub reason: &'static str,
    /// The CRL that lists it.
    pub crl_number: u64,
}

/// Revokes the valid certificate with this serial (hex, as OpenSSL prints it).
pub async fn revoke(
    app: &App,
    actor: &Actor,
    serial: &str,
    reason: RevocationReason,
) -> Result<Revocation, Error> {
    authorize(actor, Action::RevokeCertificate)?;
    let ca = app.require_ca()?.clone();
    let serial = pki::Serial::from_hex(serial)
        .map_err(|_| Error::field("serial", "ca.serial_invalid"))?
        .to_hex();
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if !store::ca::revoke(&mut tx, &serial, now, reason_name(reason)).await? {
        return Err(match store::ca::by_serial(&mut tx, &serial).await? {
            None => Error::NotFound,
            Some(c) if c.status == CertificateStatus::Revoked => {
                Error::Refused("ca.already_revoked")
            }
            Some(_) => Error::Internal(format!("certificate {serial} not revoked")),
        });
    }
    let published = crl::publish(&mut tx, &ca.issuing_id, &ca.issuing, now).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "certificate.revoke",
        &serial,
        &format!("reason={} crl={}", reason_name(reason), published.number),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    let crl_number = published.number;
    ca.install_crl(published);
    if let Ok(s) = pki::Serial::from_hex(&serial) {
        ca.cache.forget(s);
    }
    tracing::info!(serial = %serial, reason = reason_name(reason), crl = crl_number, "certificate revoked");
    Ok(Revocation {
        serial,
        revoked_at: now,
        reason: reason_name(reason),
        crl_number,
    })
}
