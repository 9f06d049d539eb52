//! Certificate encoding: the to-be-signed structure, the extensions, and reading back the
//! few fields of a CA certificate that issuing needs.

use jiff::Timestamp;
use serde::Serialize;

use crate::asn1::{self, BIT_STRING, INTEGER, OCTET_STRING, SEQUENCE, ctx, ctx_prim};
use crate::oid;
use crate::serial::Serial;
use crate::signer::{SignError, SignatureAlgorithm, Signer, key_identifier};
use crate::{CertError, pem};

/// keyUsage bits (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyUsage {
    DigitalSignature,
    /// Also called contentCommitment.
    NonRepudiation,
    KeyEncipherment,
    DataEncipherment,
    KeyAgreement,
    KeyCertSign,
    #[serde(rename = "cRLSign")]
    CrlSign,
}

impl KeyUsage {
    fn bit(self) -> usize {
        match self {
            KeyUsage::DigitalSignature => 0,
            KeyUsage::NonRepudiation => 1,
            KeyUsage::KeyEncipherment => 2,
            KeyUsage::DataEncipherment => 3,
            KeyUsage::KeyAgreement => 4,
            KeyUsage::KeyCertSign => 5,
            KeyUsage::CrlSign => 6,
        }
    }
}

/// extKeyUsage purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtKeyUsage {
    /// id-kp-clientAuth: logging in to the trading platforms with the key (TLS client).
    ClientAuth,
    /// id-kp-emailProtection: S/MIME.
    EmailProtection,
    /// id-kp-documentSigning (RFC 9336): signing bids, contracts and seals.
    DocumentSigning,
    /// id-kp-OCSPSigning: the delegated OCSP responder only.
    #[serde(rename = "OCSPSigning")]
    OcspSigning,
}

impl ExtKeyUsage {
    fn oid(self) -> &'static [u8] {
        match self {
            ExtKeyUsage::ClientAuth => oid::KP_CLIENT_AUTH,
            ExtKeyUsage::EmailProtection => oid::KP_EMAIL_PROTECTION,
            ExtKeyUsage::DocumentSigning => oid::KP_DOCUMENT_SIGNING,
            ExtKeyUsage::OcspSigning => oid::KP_OCSP_SIGNING,
        }
    }
}

pub(crate) fn extension(oid: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let ov = asn1::octet_string(value);
    if critical {
        asn1::seq(&[oid, asn1::TRUE, &ov])
    } else {
        asn1::seq(&[oid, &ov])
    }
}

pub(crate) fn basic_constraints(ca: bool, path_len: Option<u8>) -> Vec<u8> {
    let value = match (ca, path_len) {
        (false, _) => asn1::seq(&[]),
        (true, None) => asn1::seq(&[asn1::TRUE]),
        (true, Some(n)) => asn1::seq(&[asn1::TRUE, &asn1::uint(u64::from(n))]),
    };
    // Critical on CAs (RFC 5280 §4.2.1.9); on end entities it may be either, and
    // non-critical is what the major CAs do.
    extension(oid::BASIC_CONSTRAINTS, ca, &value)
}

pub(crate) fn key_usage(usages: &[KeyUsage]) -> Vec<u8> {
    let mut bits = 0u16;
    for u in usages {
        bits |= 0x8000 >> u.bit();
    }
    // DER named bit lists drop trailing zero bits.
    let bytes = bits.to_be_bytes();
    let used = if bits & 0x00ff != 0 { 2 } else { 1 };
    let last = bytes[used - 1];
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    let value = asn1::tlv(BIT_STRING, &[&[unused], &bytes[..used]]);
    extension(oid::KEY_USAGE, true, &value)
}

pub(crate) fn ext_key_usage(usages: &[ExtKeyUsage]) -> Vec<u8> {
    let oids: Vec<&[u8]> = usages.iter().map(|u| u.oid()).collect();
    extension(oid::EXT_KEY_USAGE, false, &asn1::seq(&oids))
}

pub(crate) fn subject_key_id(id: &[u8]) -> Vec<u8> {
    extension(oid::SUBJECT_KEY_ID, false, &asn1::octet_string(id))
}

pub(crate) fn authority_key_id(id: &[u8]) -> Vec<u8> {
    let value = asn1::seq(&[&asn1::tlv(ctx_prim(0), &[id])]);
    extension(oid::AUTHORITY_KEY_ID, false, &value)
}

fn uri(url: &str) -> Vec<u8> {
    // GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
    asn1::tlv(ctx_prim(6), &[url.as_bytes()])
}

pub(crate) fn authority_info_access(ocsp: &str, ca_issuers: &str) -> Vec<u8> {
    let value = asn1::seq(&[
        &asn1::seq(&[oid::AD_OCSP, &uri(ocsp)]),
        &asn1::seq(&[oid::AD_CA_ISSUERS, &uri(ca_issuers)]),
    ]);
    extension(oid::AUTHORITY_INFO_ACCESS, false, &value)
}

pub(crate) fn crl_distribution_point(url: &str) -> Vec<u8> {
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
    let full_name = asn1::tlv(ctx(0), &[&uri(url)]);
    let dp_name = asn1::tlv(ctx(0), &[&full_name]);
    let value = asn1::seq(&[&asn1::seq(&[&dp_name])]);
    extension(oid::CRL_DISTRIBUTION_POINTS, false, &value)
}

pub(crate) fn certificate_policies(policy_oids: &[Vec<u8>]) -> Vec<u8> {
    let infos: Vec<Vec<u8>> = policy_oids.iter().map(|o| asn1::seq(&[o])).collect();
    let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
    extension(oid::CERTIFICATE_POLICIES, false, &asn1::seq(&refs))
}

pub(crate) fn ocsp_no_check() -> Vec<u8> {
    extension(oid::OCSP_NOCHECK, false, &[asn1::NULL, 0])
}

/// The parts of a `TBSCertificate`, all already DER.
pub(crate) struct Tbs<'a> {
    pub serial: &'a Serial,
    pub algorithm: SignatureAlgorithm,
    pub issuer: &'a [u8],
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub subject: &'a [u8],
    pub spki: &'a [u8],
    pub extensions: &'a [Vec<u8>],
}

impl Tbs<'_> {
    pub fn to_der(&self) -> Vec<u8> {
        let version = asn1::tlv(ctx(0), &[&[INTEGER, 1, 2]]);
        let validity = asn1::seq(&[&asn1::time(self.not_before), &asn1::time(self.not_after)]);
        let exts: Vec<&[u8]> = self.extensions.iter().map(Vec::as_slice).collect();
        let exts = asn1::tlv(ctx(3), &[&asn1::seq(&exts)]);
        asn1::seq(&[
            &version,
            &self.serial.to_der(),
            self.algorithm.algorithm_identifier(),
            self.issuer,
            &validity,
            self.subject,
            self.spki,
            &exts,
        ])
    }
}

/// `SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING }`: the shape of a
/// certificate and of a CRL.
pub(crate) fn signed(tbs: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, SignError> {
    let sig = signer.sign(tbs)?;
    let bits = asn1::bit_string(&sig);
    Ok(asn1::seq(&[
        tbs,
        signer.algorithm().algorithm_identifier(),
        &bits,
    ]))
}

/// A CA certificate (root, issuing) and the fields issuing under it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificate {
    der: Vec<u8>,
    subject: Vec<u8>,
    spki: Vec<u8>,
    key_id: Vec<u8>,
    serial: Serial,
}

impl CaCertificate {
    /// Reads a certificate (DER). Its signature is not checked: this is our own CA
    /// certificate, loaded from our own storage.
    pub fn from_der(der: &[u8]) -> Result<CaCertificate, CertError> {
        let bad = |e: asn1::Malformed| CertError::BadCaCertificate(e.0);
        let cert = asn1::read_single(der, SEQUENCE, "not a certificate").map_err(bad)?;
        let tbs = cert
            .reader()
            .read_tag(SEQUENCE, "no TBSCertificate")
            .map_err(bad)?;
        let mut r = tbs.reader();
        r.read_optional(ctx(0)).map_err(bad)?;
        let serial = r.read_tag(INTEGER, "no serial number").map_err(bad)?;
        let serial = Serial::from_der_content(serial.value)
            .map_err(|_| CertError::BadCaCertificate("bad serial number"))?;
        r.read_tag(SEQUENCE, "no signature algorithm")
            .map_err(bad)?;
        r.read_tag(SEQUENCE, "no issuer").map_err(bad)?;
        r.read_tag(SEQUENCE, "no validity").map_err(bad)?;
        let subject = r
            .read_tag(SEQUENCE, "no subject")
            .map_err(bad)?
            .raw
            .to_vec();
        let spki = r
            .read_tag(SEQUENCE, "no public key")
            .map_err(bad)?
            .raw
            .to_vec();
        let mut key_id = None;
        while let Some(tag) = r.peek_tag() {
            let t = r.read().map_err(bad)?;
            if tag != ctx(3) {
                continue;
            }
            let exts = t
                .reader()
                .read_tag(SEQUENCE, "bad extensions")
                .map_err(bad)?;
            let mut er = exts.reader();
            while !er.is_empty() {
                let ext = er.read_tag(SEQUENCE, "bad extension").map_err(bad)?;
                let mut x = ext.reader();
                let id = x.read_tag(asn1::OID, "bad extension id").map_err(bad)?;
                x.read_optional(asn1::BOOLEAN).map_err(bad)?;
                let value = x
                    .read_tag(OCTET_STRING, "bad extension value")
                    .map_err(bad)?;
                if id.raw == oid::SUBJECT_KEY_ID {
                    let inner =
                        asn1::read_single(value.value, OCTET_STRING, "bad SKI").map_err(bad)?;
                    key_id = Some(inner.value.to_vec());
                }
            }
        }
        let key_id = match key_id {
            Some(k) => k,
            None => key_identifier(&spki).map_err(bad)?,
        };
        Ok(CaCertificate {
            der: der.to_vec(),
            subject,
            spki,
            key_id,
            serial,
        })
    }

    /// Reads the first `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem_text: &str) -> Result<CaCertificate, CertError> {
        let der = pem::decode(pem_text.as_bytes(), &["CERTIFICATE"])
            .map_err(CertError::BadCaCertificate)?;
        CaCertificate::from_der(&der)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    /// The subject `Name`, DER (the issuer of what this CA signs).
    pub fn subject_der(&self) -> &[u8] {
        &self.subject
    }

    /// The `SubjectPublicKeyInfo`, DER.
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject key identifier (the AKI of what this CA signs).
    pub fn key_id(&self) -> &[u8] {
        &self.key_id
    }

    pub fn serial(&self) -> Serial {
        self.serial
    }
}

/// PEM-armours a certificate.
pub fn certificate_pem(der: &[u8]) -> String {
    pem::encode("CERTIFICATE", der)
}

/// PEM-armours a PKCS#10 request.
pub fn csr_pem(der: &[u8]) -> String {
    pem::encode("CERTIFICATE REQUEST", der)
}

/// Every `CERTIFICATE` block of a PEM text, DER, in order; a DER input is one certificate.
pub fn certificates_from_pem(input: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    if !pem::looks_like_pem(input) {
        return Ok(vec![input.to_vec()]);
    }
    let certs = pem::decode_all(input, &["CERTIFICATE"])?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block");
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits_are_minimal() {
        // digitalSignature + nonRepudiation: 03 02 06 c0
        let ext = key_usage(&[KeyUsage::DigitalSignature, KeyUsage::NonRepudiation]);
        assert!(ext.ends_with(&[0x04, 0x04, 0x03, 0x02, 0x06, 0xc0]));
        // keyCertSign + cRLSign: 03 02 01 06
        let ext = key_usage(&[KeyUsage::KeyCertSign, KeyUsage::CrlSign]);
        assert!(ext.ends_with(&[0x03, 0x02, 0x01, 0x06]));
        // digitalSignature alone: 03 02 07 80
        let ext = key_usage(&[KeyUsage::DigitalSignature]);
        assert!(ext.ends_with(&[0x03, 0x02, 0x07, 0x80]));
    }
}
