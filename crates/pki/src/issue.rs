//! Issuing end-entity certificates: build the to-be-signed certificate (so the app can
//! record it), then sign it.

use domain::ident::IdNumber;
use domain::organisation::CreditCode;
use jiff::Timestamp;

use crate::ca::{Authority, check_validity};
use crate::cert::{self, Tbs};
use crate::name::{Attribute, DistinguishedName};
use crate::profile::{Profile, Source};
use crate::serial::Serial;
use crate::signer::key_identifier;
use crate::{CertError, PublicKey, asn1, pem};

/// The CA's public URLs, written into every end-entity certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// OCSP responder (authorityInfoAccess id-ad-ocsp).
    pub ocsp: String,
    /// The issuing CA certificate, DER (authorityInfoAccess id-ad-caIssuers).
    pub ca_issuers: String,
    /// The issuing CA's CRL, DER (cRLDistributionPoints).
    pub crl: String,
}

impl Urls {
    /// `https://certdesk.example/` → `…/ocsp`, `…/ca/issuing.crt`, `…/crl/issuing.crl`.
    pub fn from_base(base: &str) -> Urls {
        let base = base.trim_end_matches('/');
        Urls {
            ocsp: format!("{base}/ocsp"),
            ca_issuers: format!("{base}/ca/issuing.crt"),
            crl: format!("{base}/crl/issuing.crl"),
        }
    }

    fn check(&self) -> Result<(), CertError> {
        for u in [&self.ocsp, &self.ca_issuers, &self.crl] {
            let scheme_ok = u.starts_with("http://") || u.starts_with("https://");
            if !scheme_ok
                || !u.is_ascii()
                || u.chars()
                    .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
            {
                return Err(CertError::BadUrl(u.clone()));
            }
        }
        Ok(())
    }
}

/// A verified organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    /// Its USCC, written as organizationIdentifier `NTRCN-…`; or, for a body without one,
    /// certdesk's stand-in code, written as serialNumber (it is no national register's
    /// number, so it must not pose as one).
    pub code: CreditCode,
}

/// Verified subject data, from the reviewed application (never from the CSR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectData {
    pub organisation: Option<Organisation>,
    pub person_name: Option<String>,
    pub seal_name: Option<String>,
    /// Used only by a profile with `raw_id_number`; ignored otherwise.
    pub id_number: Option<IdNumber>,
}

impl SubjectData {
    /// The subject name the profile builds from this data.
    pub fn to_name(&self, profile: &Profile) -> Result<DistinguishedName, CertError> {
        let mut name = DistinguishedName::new();
        for f in &profile.subject {
            let org = || {
                self.organisation
                    .as_ref()
                    .ok_or(CertError::MissingSubjectData("organisation"))
            };
            let value = match f.from {
                Source::China => "CN".to_string(),
                Source::OrganisationName => org()?.name.clone(),
                Source::Uscc => match &org()?.code {
                    CreditCode::Uscc(u) => format!("NTRCN-{}", u.as_str()),
                    CreditCode::StandIn(s) => {
                        name = name.with(Attribute::SerialNumber, s.as_str().to_string());
                        continue;
                    }
                },
                Source::PersonName => self
                    .person_name
                    .clone()
                    .ok_or(CertError::MissingSubjectData("person_name"))?,
                Source::SealName => self
                    .seal_name
                    .clone()
                    .ok_or(CertError::MissingSubjectData("seal_name"))?,
                Source::IdNumber => {
                    if !profile.raw_id_number {
                        continue;
                    }
                    self.id_number
                        .as_ref()
                        .ok_or(CertError::MissingSubjectData("id_number"))?
                        .as_str()
                        .to_string()
                }
            };
            name = name.with(f.attribute, value);
        }
        Ok(name)
    }
}

/// Everything an end-entity certificate is made from.
#[derive(Debug, Clone)]
pub struct EndEntity<'a> {
    /// Reserved by the app before issuing (see [`Serial::random`]).
    pub serial: Serial,
    pub subject: &'a SubjectData,
    /// From the CSR (proof of possession checked) or from a server-generated key.
    pub public_key: &'a PublicKey,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub profile: &'a Profile,
    pub urls: &'a Urls,
}

/// A certificate built but not yet signed: record it, then sign it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedCertificate {
    tbs: Vec<u8>,
    serial: Serial,
    subject: DistinguishedName,
    not_before: Timestamp,
    not_after: Timestamp,
    spki_sha256: [u8; 32],
}

impl PreparedCertificate {
    /// The DER `TBSCertificate` that will be signed.
    pub fn tbs_der(&self) -> &[u8] {
        &self.tbs
    }

    pub fn serial(&self) -> Serial {
        self.serial
    }

    pub fn subject(&self) -> &DistinguishedName {
        &self.subject
    }

    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// SHA-256 of the certified `SubjectPublicKeyInfo`.
    pub fn public_key_sha256(&self) -> [u8; 32] {
        self.spki_sha256
    }
}

/// A signed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    der: Vec<u8>,
    serial: Serial,
}

impl IssuedCertificate {
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn into_der(self) -> Vec<u8> {
        self.der
    }

    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    pub fn serial(&self) -> Serial {
        self.serial
    }
}

impl Authority {
    /// Builds the to-be-signed certificate. The subject comes from `subject` through the
    /// profile; the key from `public_key`; nothing from the CSR's subject or requested
    /// extensions.
    pub fn prepare(&self, ee: &EndEntity<'_>) -> Result<PreparedCertificate, CertError> {
        check_validity(ee.not_before, ee.not_after)?;
        ee.urls.check()?;
        let name = ee.subject.to_name(ee.profile)?;
        let subject = name.to_der()?;
        let policies = ee
            .profile
            .policies
            .iter()
            .map(|p| asn1::oid_from_dotted(p).ok_or_else(|| CertError::BadPolicy(p.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let spki = ee.public_key.spki_der();
        let mut extensions = vec![
            cert::basic_constraints(false, None),
            cert::key_usage(&ee.profile.key_usage),
        ];
        if !ee.profile.extended_key_usage.is_empty() {
            extensions.push(cert::ext_key_usage(&ee.profile.extended_key_usage));
        }
        extensions.extend([
            cert::subject_key_id(
                &key_identifier(spki).map_err(|e| CertError::BadPublicKey(e.0.to_string()))?,
            ),
            cert::authority_key_id(self.certificate().key_id()),
            cert::crl_distribution_point(&ee.urls.crl),
            cert::authority_info_access(&ee.urls.ocsp, &ee.urls.ca_issuers),
        ]);
        if !policies.is_empty() {
            extensions.push(cert::certificate_policies(&policies));
        }
        let tbs = Tbs {
            serial: &ee.serial,
            algorithm: self.signer().algorithm(),
            issuer: self.certificate().subject_der(),
            not_before: ee.not_before,
            not_after: ee.not_after,
            subject: &subject,
            spki,
            extensions: &extensions,
        }
        .to_der();
        Ok(PreparedCertificate {
            tbs,
            serial: ee.serial,
            subject: name,
            not_before: ee.not_before,
            not_after: ee.not_after,
            spki_sha256: ee.public_key.sha256(),
        })
    }

    /// Signs a prepared certificate.
    pub fn sign(&self, prepared: &PreparedCertificate) -> Result<IssuedCertificate, CertError> {
        Ok(IssuedCertificate {
            der: self.sign_tbs(&prepared.tbs)?,
            serial: prepared.serial,
        })
    }

    /// [`Authority::prepare`] then [`Authority::sign`], for callers with nothing to record
    /// in between.
    pub fn issue(&self, ee: &EndEntity<'_>) -> Result<IssuedCertificate, CertError> {
        self.sign(&self.prepare(ee)?)
    }
}
