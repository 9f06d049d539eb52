//! The issuing CA's CRL: written in the transaction of each revocation and at least daily,
//! stored, and served from memory.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use domain::ids::AuthorityId;
use jiff::{SignedDuration, Timestamp};
use store::AnyConnection;

use super::{Ca, read, reason_from_name, write};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// nextUpdate is this long after thisUpdate.
pub const CRL_VALIDITY: SignedDuration = SignedDuration::from_hours(7 * 24);
/// A CRL older than this is replaced by housekeeping, revocations or not.
pub const CRL_REFRESH: SignedDuration = SignedDuration::from_hours(24);

/// A CRL as published.
#[derive(Clone, Debug)]
pub struct PublishedCrl {
    pub number: u64,
    pub this_update: Timestamp,
    pub next_update: Timestamp,
    pub der: Bytes,
}

impl From<store::ca::Crl> for PublishedCrl {
    fn from(c: store::ca::Crl) -> Self {
        PublishedCrl {
            number: c.number,
            this_update: c.this_update,
            next_update: c.next_update,
            der: Bytes::from(c.der),
        }
    }
}

/// Writes, signs and stores the next CRL of `issuer`, listing every certificate revoked so
/// far, in the caller's transaction. Taking the number locks the CA's row, so concurrent
/// writers (other instances) write one after the other and each CRL lists what the
/// previous ones did.
pub(crate) async fn publish(
    conn: &mut AnyConnection,
    issuer: &AuthorityId,
    authority: &pki::Authority,
    now: Timestamp,
) -> Result<PublishedCrl, Error> {
    let number = store::ca::next_crl_number(conn, *issuer).await?;
    let mut entries = Vec::new();
    store::ca::for_each_revoked(conn, *issuer, |e| {
        let serial = pki::Serial::from_hex(&e.serial)
            .map_err(|_| store::StoreError::Corrupt(format!("serial {}", e.serial)))?;
        let reason = reason_from_name(&e.reason)
            .ok_or_else(|| store::StoreError::Corrupt(format!("reason {}", e.reason)))?;
        entries.push(pki::Revoked {
            serial,
            revoked_at: e.revoked_at,
            reason,
        });
        Ok(())
    })
    .await?;
    let info = pki::CrlInfo {
        number,
        this_update: now,
        next_update: now + CRL_VALIDITY,
    };
    let der = authority
        .crl(&info, entries)
        .map_err(|e| Error::Internal(format!("CRL: {e}")))?;
    let crl = store::ca::Crl {
        issuer_id: *issuer,
        number,
        this_update: info.this_update,
        next_update: info.next_update,
        der,
    };
    store::ca::insert_crl(conn, &crl).await?;
    Ok(crl.into())
}

impl Ca {
    /// Serves `crl` unless a newer one is served already. True when it was taken.
    pub(crate) fn install_crl(&self, crl: PublishedCrl) -> bool {
        if read(&self.crl).number >= crl.number {
            return false;
        }
        let number = crl.number;
        write(&self.crl, Arc::new(crl));
        self.revision.fetch_max(number, Ordering::AcqRel);
        true
    }
}

/// Publishes a new CRL now (housekeeping does this daily; admins may ask for it).
pub async fn regenerate(app: &App, actor: &Actor) -> Result<u64, Error> {
    authorize(actor, Action::ManageCa)?;
    let ca = app.require_ca()?.clone();
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let crl = publish(&mut tx, &ca.issuing_id, &ca.issuing, now).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "ca.crl",
        &ca.issuing_id.to_text(),
        &format!("number={}", crl.number),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    let number = crl.number;
    ca.install_crl(crl);
    Ok(number)
}
