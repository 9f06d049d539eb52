//! certdesk's USB-key library: keys, CSRs, certificates and e-seal images on any PKCS#11
//! token (tested with SoftHSM2), for `certdesk token`.
//!
//! Synchronous, over cryptoki: a [`Module`] is loaded once per process; [`Module::open`]
//! logs in to one token; a [`TokenKey`] is a [`pki::Signer`], so CSRs and test signatures
//! go through the same code as the CA's own keys. Errors ([`TokenError`]) read as plain
//! Chinese and never carry the PIN.

#![forbid(unsafe_code)]

mod certificate;
mod error;
mod key;
mod module;
mod sign_test;
#[cfg(feature = "testing")]
pub mod testing;
mod token;

pub use certificate::{CertificateInfo, KeyRef, Subject, certificate_serial};
pub use error::TokenError;
pub use key::{KeyAlg, KeyInfo, TokenKey};
pub use module::{Module, TokenInfo};
pub use sign_test::{OcspFetch, OcspOutcome, SignTest, sign_test};
pub use token::{ReadOut, SEAL_APPLICATION, Token};

/// A PKCS#10 request (DER) for a key, signed by it; the subject is for display (the CA
/// takes the subject from the reviewed application, never from the request).
pub fn csr(
    signer: &dyn pki::Signer,
    subject: &pki::DistinguishedName,
) -> Result<Vec<u8>, TokenError> {
    pki::build_csr(signer, subject).map_err(|e| match e {
        pki::CertError::Name(n) => TokenError::BadSubject(n.to_string()),
        pki::CertError::Sign(s) => TokenError::Sign(s.0),
        other => TokenError::Device(other.to_string()),
    })
}
