//! The certificate authority as a running service, on top of the `pki` crate.
//!
//! - [`init`]: creates the root, the issuing CA and a delegated OCSP responder, and stores them.
//! - [`load`]: opens them (keys decrypted or found in the token) into a [`Ca`] that the
//!   [`App`] carries ([`App::with_ca`]). Without one the app works and the CA routes say
//!   the CA is not initialised.
//! - [`issue`]: records, then returns, certificates (one or a batch in one commit).
//! - [`revoke`]: revokes and publishes the next CRL in the same transaction.
//! - [`crl`]: the CRL served from memory, regenerated on revocation and daily.
//! - [`ocsp`]: answers from pre-signed responses held in memory.
//! - [`watch`]: notices what other instances did (a revocation, a new CRL) within a second.

pub mod certificates;
pub mod crl;
pub mod init;
pub mod issue;
pub mod keys;
pub mod load;
pub mod ocsp;
pub mod revoke;
pub mod watch;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use domain::ids::AuthorityId;

pub use certificates::{Certificate, certificate, count};
pub use init::{CaAlgorithm, CaNames, InitOptions, Initialised, init};
pub use issue::{IssueRequest, IssuedCertificate, issue, issue_many};
pub use keys::KeySource;
pub use load::{LoadError, load};
pub use ocsp::{OcspAnswer, respond};
pub use revoke::{Revocation, reason_from_name, reason_name, revoke};

use crate::{App, Error};

/// The loaded CA: what [`load`] read and opened, and the caches it serves from.
pub struct Ca {
    pub(crate) root_der: Bytes,
    pub(crate) issuing_id: AuthorityId,
    pub(crate) issuing: pki::Authority,
    pub(crate) issuing_der: Bytes,
    pub(crate) chain_pem: String,
    pub(crate) issuer_ids: pki::ocsp::IssuerIds,
    pub(crate) urls: pki::Urls,
    pub(crate) keys: KeySource,
    pub(crate) responder: RwLock<Arc<ocsp::CurrentResponder>>,
    pub(crate) crl: RwLock<Arc<crl::PublishedCrl>>,
    /// The newest CRL number this instance has taken in (see [`watch`]).
    pub(crate) revision: AtomicU64,
    pub(crate) cache: ocsp::Cache,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("issuing", &self.issuing)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// The root CA certificate, DER.
    pub fn root_der(&self) -> Bytes {
        self.root_der.clone()
    }

    /// The issuing CA certificate, DER.
    pub fn issuing_der(&self) -> Bytes {
        self.issuing_der.clone()
    }

    /// Issuing CA then root, PEM.
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }

    /// The newest CRL, DER, as published.
    pub fn crl(&self) -> Arc<crl::PublishedCrl> {
        read(&self.crl).clone()
    }

    /// The CRL number this instance serves.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    pub fn algorithm(&self) -> pki::SignatureAlgorithm {
        self.issuing.signer().algorithm()
    }
}

/// A poisoned lock only means a panic elsewhere while holding it; the value is still whole
/// (every writer swaps an `Arc`).
pub(crate) fn read<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

pub(crate) fn write<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut g) => *g = value,
        Err(p) => *p.into_inner() = value,
    }
}

impl App {
    /// This app with a loaded CA.
    pub fn with_ca(mut self, ca: Arc<Ca>) -> App {
        self.ca = Some(ca);
        self
    }

    /// The CA, when one is initialised and loaded.
    pub fn ca(&self) -> Option<&Arc<Ca>> {
        self.ca.as_ref()
    }

    pub(crate) fn require_ca(&self) -> Result<&Arc<Ca>, Error> {
        self.ca.as_ref().ok_or(Error::Refused("ca.not_initialised"))
    }
}

/// Whether a CA was initialised in this database (a public fact: the CA routes say it).
pub async fn exists(app: &App) -> Result<bool, Error> {
    let mut conn = app.store.conn().await?;
    Ok(store::ca::exists(&mut conn).await?)
}

/// A passphrase for a demo CA: 256 random bits, URL-safe base64.
pub fn generate_passphrase(app: &App) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(crate::random::token(&*app.random))
}
