//! The CA hierarchy: a root, the issuing CA under it, and the delegated OCSP responder.

use std::sync::Arc;

use jiff::{Timestamp, ToSpan, tz::TimeZone};

use crate::cert::{self, CaCertificate, ExtKeyUsage, KeyUsage, Tbs};
use crate::name::DistinguishedName;
use crate::serial::Serial;
use crate::signer::{Signer, key_identifier};
use crate::{CertError, PublicKey};

/// A CA: its certificate and the key that signs under it.
#[derive(Clone)]
pub struct Authority {
    cert: CaCertificate,
    signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("serial", &self.cert.serial())
            .field("algorithm", &self.signer.algorithm())
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Pairs a CA certificate with its key; refuses a key that is not the certificate's.
    pub fn new(cert: CaCertificate, signer: Arc<dyn Signer>) -> Result<Authority, CertError> {
        if cert.public_key_der() != signer.public_key_der() {
            return Err(CertError::KeyMismatch);
        }
        Ok(Authority { cert, signer })
    }

    pub fn certificate(&self) -> &CaCertificate {
        &self.cert
    }

    pub fn signer(&self) -> &Arc<dyn Signer> {
        &self.signer
    }

    /// Signs a `TBSCertificate` (or `TBSCertList`) and wraps it.
    pub(crate) fn sign_tbs(&self, tbs: &[u8]) -> Result<Vec<u8>, CertError> {
        Ok(cert::signed(tbs, self.signer.as_ref())?)
    }

    /// Issues the delegated OCSP-signing certificate (RFC 6960 §4.2.2.2): id-kp-OCSPSigning,
    /// id-pkix-ocsp-nocheck (so clients do not ask about the responder itself), digitalSignature.
    /// Keep its validity short (e.g. 90 days) since it cannot be revoked usefully.
    pub fn issue_ocsp_responder(
        &self,
        serial: Serial,
        subject: &DistinguishedName,
        public_key: &PublicKey,
        not_before: Timestamp,
        not_after: Timestamp,
    ) -> Result<Vec<u8>, CertError> {
        check_validity(not_before, not_after)?;
        let subject = subject.to_der()?;
        let extensions = vec![
            cert::basic_constraints(false, None),
            cert::key_usage(&[KeyUsage::DigitalSignature]),
            cert::ext_key_usage(&[ExtKeyUsage::OcspSigning]),
            cert::ocsp_no_check(),
            cert::subject_key_id(
                &key_identifier(public_key.spki_der())
                    .map_err(|e| CertError::BadPublicKey(e.0.to_string()))?,
            ),
            cert::authority_key_id(self.cert.key_id()),
        ];
        let tbs = Tbs {
            serial: &serial,
            algorithm: self.signer.algorithm(),
            issuer: self.cert.subject_der(),
            not_before,
            not_after,
            subject: &subject,
            spki: public_key.spki_der(),
            extensions: &extensions,
        }
        .to_der();
        self.sign_tbs(&tbs)
    }
}

pub(crate) fn check_validity(not_before: Timestamp, not_after: Timestamp) -> Result<(), CertError> {
    if not_after <= not_before {
        return Err(CertError::BadValidity);
    }
    Ok(())
}

/// What [`create_hierarchy`] needs. Names come from the caller, e.g.
/// `C=CN, O=…, CN=certdesk Root CA` and `C=CN, O=…, CN=certdesk Issuing CA`.
pub struct HierarchySetup {
    pub root_name: DistinguishedName,
    pub issuing_name: DistinguishedName,
    pub root_key: Arc<dyn Signer>,
    pub issuing_key: Arc<dyn Signer>,
    /// Start of both validity periods (the app passes "now" from its clock).
    pub not_before: Timestamp,
    /// Root validity in years (20 by default in [`HierarchySetup::new`]).
    pub root_years: i16,
    /// Issuing CA validity in years (10 by default).
    pub issuing_years: i16,
}

impl HierarchySetup {
    pub fn new(
        root_name: DistinguishedName,
        issuing_name: DistinguishedName,
        root_key: Arc<dyn Signer>,
        issuing_key: Arc<dyn Signer>,
        not_before: Timestamp,
    ) -> Self {
        HierarchySetup {
            root_name,
            issuing_name,
            root_key,
            issuing_key,
            not_before,
            root_years: 20,
            issuing_years: 10,
        }
    }
}

/// The root and issuing CAs.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub root: Authority,
    pub issuing: Authority,
}

fn plus_years(t: Timestamp, years: i16) -> Result<Timestamp, CertError> {
    t.to_zoned(TimeZone::UTC)
        .checked_add(years.years())
        .map(|z| z.timestamp())
        .map_err(|_| CertError::BadValidity)
}

/// Creates a self-signed root CA and an issuing CA signed by it.
///
/// Root: basicConstraints CA (critical, no path length), keyUsage keyCertSign + cRLSign
/// (critical), SKI, AKI = SKI. Issuing: the same with pathLen 0, AKI = the root's SKI.
pub fn create_hierarchy(setup: HierarchySetup) -> Result<Hierarchy, CertError> {
    let root_subject = setup.root_name.to_der()?;
    let issuing_subject = setup.issuing_name.to_der()?;
    let root_spki = setup.root_key.public_key_der().to_vec();
    let issuing_spki = setup.issuing_key.public_key_der().to_vec();
    PublicKey::from_spki_der(&root_spki).map_err(|e| CertError::BadPublicKey(e.to_string()))?;
    PublicKey::from_spki_der(&issuing_spki).map_err(|e| CertError::BadPublicKey(e.to_string()))?;
    let root_id =
        key_identifier(&root_spki).map_err(|e| CertError::BadPublicKey(e.0.to_string()))?;
    let issuing_id =
        key_identifier(&issuing_spki).map_err(|e| CertError::BadPublicKey(e.0.to_string()))?;
    let ca_usage = [KeyUsage::KeyCertSign, KeyUsage::CrlSign];

    let root_ext = vec![
        cert::basic_constraints(true, None),
        cert::key_usage(&ca_usage),
        cert::subject_key_id(&root_id),
        cert::authority_key_id(&root_id),
    ];
    let root_tbs = Tbs {
        serial: &Serial::random(),
        algorithm: setup.root_key.algorithm(),
        issuer: &root_subject,
        not_before: setup.not_before,
        not_after: plus_years(setup.not_before, setup.root_years)?,
        subject: &root_subject,
        spki: &root_spki,
        extensions: &root_ext,
    }
    .to_der();
    let root_der = cert::signed(&root_tbs, setup.root_key.as_ref())?;
    let root = Authority::new(CaCertificate::from_der(&root_der)?, setup.root_key)?;

    let issuing_ext = vec![
        cert::basic_constraints(true, Some(0)),
        cert::key_usage(&ca_usage),
        cert::subject_key_id(&issuing_id),
        cert::authority_key_id(&root_id),
    ];
    let issuing_tbs = Tbs {
        serial: &Serial::random(),
        algorithm: root.signer.algorithm(),
        issuer: &root_subject,
        not_before: setup.not_before,
        not_after: plus_years(setup.not_before, setup.issuing_years)?,
        subject: &issuing_subject,
        spki: &issuing_spki,
        extensions: &issuing_ext,
    }
    .to_der();
    let issuing_der = root.sign_tbs(&issuing_tbs)?;
    let issuing = Authority::new(CaCertificate::from_der(&issuing_der)?, setup.issuing_key)?;
    Ok(Hierarchy { root, issuing })
}
