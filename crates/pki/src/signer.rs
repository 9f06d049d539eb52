//! The `Signer` trait: what every CA key (file or token) offers, and the algorithms it may use.

use serde::Serialize;

use crate::asn1::{self, INTEGER};

/// Key algorithms this CA can generate and hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256, signing with SHA-256: the default.
    EcdsaP256,
    /// RSA, 2048-bit modulus (soft end-entity keys only).
    Rsa2048,
    /// RSA, 3072-bit modulus, PKCS#1 v1.5 signatures with SHA-256.
    Rsa3072,
    /// SM2 (GM/T 0003) with SM3, distinguishing id `1234567812345678`.
    Sm2,
}

impl KeyAlgorithm {
    /// The signature algorithm a key of this kind signs with.
    pub fn signature_algorithm(self) -> SignatureAlgorithm {
        match self {
            KeyAlgorithm::EcdsaP256 => SignatureAlgorithm::EcdsaSha256,
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => SignatureAlgorithm::RsaPkcs1Sha256,
            KeyAlgorithm::Sm2 => SignatureAlgorithm::Sm2Sm3,
        }
    }
}

/// Signature algorithms this CA signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureAlgorithm {
    /// ecdsa-with-SHA256 (1.2.840.10045.4.3.2); DER `ECDSA-Sig-Value` signatures.
    EcdsaSha256,
    /// sha256WithRSAEncryption (1.2.840.113549.1.1.11); PKCS#1 v1.5 signatures.
    RsaPkcs1Sha256,
    /// SM2-with-SM3 (1.2.156.10197.1.501); DER `SM2Signature` (same shape as ECDSA's).
    Sm2Sm3,
}

/// `AlgorithmIdentifier` DER for each algorithm. RSA carries an explicit NULL
/// (RFC 4055 §5), the EC algorithms no parameters (RFC 5758 §3.2).
const ECDSA_SHA256_ID: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];
const RSA_SHA256_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
const SM2_SM3_ID: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75,
];

impl SignatureAlgorithm {
    /// The DER `AlgorithmIdentifier` that goes into `signature` / `signatureAlgorithm`.
    pub fn algorithm_identifier(self) -> &'static [u8] {
        match self {
            SignatureAlgorithm::EcdsaSha256 => ECDSA_SHA256_ID,
            SignatureAlgorithm::RsaPkcs1Sha256 => RSA_SHA256_ID,
            SignatureAlgorithm::Sm2Sm3 => SM2_SM3_ID,
        }
    }

    /// The algorithm's object identifier, dotted.
    pub fn oid(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaSha256 => "1.2.840.10045.4.3.2",
            SignatureAlgorithm::RsaPkcs1Sha256 => "1.2.840.113549.1.1.11",
            SignatureAlgorithm::Sm2Sm3 => "1.2.156.10197.1.501",
        }
    }
}

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(pub String);

/// A CA key, wherever it lives (an encrypted file, a PKCS#11 token, …).
///
/// Object safe so the CA holds `Arc<dyn Signer>` and does not care where its key is;
/// `Send + Sync` so one key serves every request thread.
pub trait Signer: Send + Sync {
    /// The algorithm every signature of this key is made with.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// The key's `SubjectPublicKeyInfo`, DER.
    fn public_key_der(&self) -> &[u8];

    /// Signs `tbs` and returns the signature exactly as it goes into a certificate's
    /// BIT STRING: DER `ECDSA-Sig-Value` for ECDSA and SM2, the PKCS#1 v1.5 block for RSA.
    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Turns a raw `r‖s` signature (PKCS#11 `CKM_ECDSA`, SM2 libraries) into DER `ECDSA-Sig-Value`.
pub fn ecdsa_raw_to_der(raw: &[u8]) -> Result<Vec<u8>, SignError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(SignError(format!(
            "raw ECDSA signature of odd length {}",
            raw.len()
        )));
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |v: &[u8]| {
        let skip = v.iter().take_while(|b| **b == 0).count().min(v.len() - 1);
        let v = &v[skip..];
        if v[0] & 0x80 != 0 {
            asn1::tlv(INTEGER, &[&[0], v])
        } else {
            asn1::tlv(INTEGER, &[v])
        }
    };
    Ok(asn1::seq(&[&int(r), &int(s)]))
}

/// The parts of a `SubjectPublicKeyInfo` this crate needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spki<'a> {
    /// The algorithm OID TLV.
    pub algorithm: &'a [u8],
    /// The parameters TLV, if any.
    pub parameters: Option<asn1::Tlv<'a>>,
    /// The content of the `subjectPublicKey` BIT STRING (the key itself).
    pub key: &'a [u8],
}

pub(crate) fn parse_spki(der: &[u8]) -> Result<Spki<'_>, asn1::Malformed> {
    let spki = asn1::read_single(
        der,
        asn1::SEQUENCE,
        "SubjectPublicKeyInfo is not a SEQUENCE",
    )?;
    let mut r = spki.reader();
    let alg = r.read_tag(asn1::SEQUENCE, "bad key AlgorithmIdentifier")?;
    let mut ar = alg.reader();
    let algorithm = ar.read_tag(asn1::OID, "bad key algorithm OID")?.raw;
    let parameters = if ar.is_empty() {
        None
    } else {
        Some(ar.read()?)
    };
    ar.finish("trailing data in key AlgorithmIdentifier")?;
    let key = asn1::bit_string_bytes(&r.read()?)?;
    r.finish("trailing data in SubjectPublicKeyInfo")?;
    Ok(Spki {
        algorithm,
        parameters,
        key,
    })
}

/// The key identifier of a public key: the leftmost 160 bits of the SHA-256 hash of the
/// `subjectPublicKey` bits (RFC 7093 §2 method 1), used for SKI and AKI.
pub(crate) fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, asn1::Malformed> {
    let spki = parse_spki(spki_der)?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki.key);
    Ok(digest.as_ref()[..20].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid;

    #[test]
    fn algorithm_identifiers_match_their_oids() {
        for alg in [
            SignatureAlgorithm::EcdsaSha256,
            SignatureAlgorithm::RsaPkcs1Sha256,
            SignatureAlgorithm::Sm2Sm3,
        ] {
            let id = alg.algorithm_identifier();
            let oid = asn1::oid_from_dotted(alg.oid()).unwrap();
            assert_eq!(&id[2..2 + oid.len()], oid.as_slice());
        }
        assert_eq!(&SM2_SM3_ID[2..], oid::SM2_SM3);
    }

    #[test]
    fn raw_signatures_become_minimal_der() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[33] = 0x01; // s has leading zeros to strip
        let der = ecdsa_raw_to_der(&raw).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x44, 0x02, 0x21, 0x00]);
        assert_eq!(&der[2 + 35..2 + 35 + 3], &[0x02, 0x1f, 0x01]);
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_err());
    }
}
