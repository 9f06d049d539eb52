//! certdesk's certificate authority: keys (encrypted file, PKCS#11 token), profiles,
//! issuance from PKCS#10, CRL and OCSP. No database and no HTTP (DESIGN.md §4): the app
//! stores what this crate produces and serves it.
//!
//! Every structure this crate signs is written by its own small DER writer ([`asn1`]
//! module, private) and signed through one [`Signer`] trait, so P-256, RSA-3072 and SM2
//! CA keys, in files or in tokens, share one code path.
//!
//! Issuing is a record first (STYLE.md): [`Authority::prepare`] builds the to-be-signed
//! certificate, the app stores it, then [`Authority::sign`] signs it.

#![forbid(unsafe_code)]

mod asn1;
mod ca;
mod cert;
mod crl;
mod csr;
mod issue;
mod name;
pub mod ocsp;
pub mod ocsp_client;
mod oid;
mod p12;
mod pem;
mod pkcs11;
mod profile;
mod serial;
mod signer;
mod soft_key;

pub use ca::{Authority, Hierarchy, HierarchySetup, create_hierarchy};
pub use cert::{
    CaCertificate, ExtKeyUsage, KeyUsage, certificate_pem, certificates_from_pem, csr_pem,
};
pub use crl::{CrlInfo, RevocationReason, Revoked};
pub use csr::{Csr, CsrError, KeyKind, PublicKey, build_csr};
pub use issue::{
    EndEntity, IssuedCertificate, Organisation, PreparedCertificate, SubjectData, Urls,
};
pub use name::{Attribute, DistinguishedName, NameError};
pub use p12::{P12Error, pkcs12};
pub use pkcs11::{Pkcs11Config, Pkcs11Error, Pkcs11Key};
pub use profile::{POLICY_ARC, Profile, Source, SubjectField};
pub use serial::{Serial, SerialError};
pub use signer::{KeyAlgorithm, SignError, SignatureAlgorithm, Signer, ecdsa_raw_to_der};
pub use soft_key::{KeyError, PBKDF2_ITERATIONS, SoftKey};

/// The GM/T 0009 default SM2 signer id, used for every SM2 signature this CA makes.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// Why a certificate or CRL could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("the subject data lacks {0}, which the profile needs")]
    MissingSubjectData(&'static str),
    #[error("not_after must be later than not_before")]
    BadValidity,
    #[error("bad URL {0:?}: http(s), ASCII, no spaces")]
    BadUrl(String),
    #[error("bad policy OID {0:?}")]
    BadPolicy(String),
    #[error("bad public key: {0}")]
    BadPublicKey(String),
    #[error("bad CA certificate: {0}")]
    BadCaCertificate(&'static str),
    #[error("the key does not match the certificate")]
    KeyMismatch,
}

impl SoftKey {
    /// The public key, checked as a CSR's would be.
    pub fn public_key(&self) -> Result<PublicKey, CsrError> {
        PublicKey::from_spki_der(self.public_key_der())
    }
}
