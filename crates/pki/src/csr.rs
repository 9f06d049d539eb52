//! PKCS#10 certificate signing requests and the public keys this CA accepts.

use aws_lc_rs::signature::{self as lc, ParsedPublicKey};
use serde::Serialize;

use crate::asn1::{self, INTEGER, SEQUENCE, ctx};
use crate::signer::parse_spki;
use crate::{SM2_DEFAULT_ID, oid, pem};

/// Why a CSR (or a public key) was refused. Each variant has a stable [`CsrError::key`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    #[error("malformed CSR: {0}")]
    Malformed(&'static str),
    #[error("the CSR's signature does not verify (no proof of possession of the key)")]
    BadSignature,
    #[error("unsupported key algorithm: {0}")]
    UnsupportedKey(&'static str),
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedSignature(&'static str),
    #[error("RSA key of {bits} bits: at least 2048 are required")]
    RsaTooSmall { bits: usize },
    #[error("RSA key of {bits} bits: at most 8192 are accepted")]
    RsaTooLarge { bits: usize },
    #[error("weak RSA public exponent: {0}")]
    WeakExponent(&'static str),
    #[error("the EC public key is not a point on its curve")]
    PointNotOnCurve,
}

impl CsrError {
    /// A stable key for the UI catalogue.
    pub fn key(&self) -> &'static str {
        match self {
            CsrError::Malformed(_) => "csr.malformed",
            CsrError::BadSignature => "csr.bad_signature",
            CsrError::UnsupportedKey(_) => "csr.unsupported_key",
            CsrError::UnsupportedSignature(_) => "csr.unsupported_signature",
            CsrError::RsaTooSmall { .. } => "csr.rsa_too_small",
            CsrError::RsaTooLarge { .. } => "csr.rsa_too_large",
            CsrError::WeakExponent(_) => "csr.weak_exponent",
            CsrError::PointNotOnCurve => "csr.point_not_on_curve",
        }
    }
}

impl From<asn1::Malformed> for CsrError {
    fn from(e: asn1::Malformed) -> Self {
        CsrError::Malformed(e.0)
    }
}

/// The kind of an accepted public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Sm2,
}

/// A public key this CA is willing to certify: parsed, on its curve, strong enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki: Vec<u8>,
    kind: KeyKind,
}

const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x71];
const DSA: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const RSA_PSS: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
];
const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
const SHA512_WITH_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d,
];

impl PublicKey {
    /// Parses and checks a `SubjectPublicKeyInfo` (DER).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, CsrError> {
        let spki = parse_spki(der)?;
        let kind = if spki.algorithm == oid::RSA_ENCRYPTION {
            check_rsa(spki.key)?
        } else if spki.algorithm == oid::EC_PUBLIC_KEY {
            let curve = spki.parameters.map(|p| p.raw);
            if curve == Some(oid::P256) {
                ParsedPublicKey::new(&lc::ECDSA_P256_SHA256_ASN1, spki.key)
                    .map_err(|_| CsrError::PointNotOnCurve)?;
                KeyKind::EcP256
            } else if curve == Some(oid::P384) {
                ParsedPublicKey::new(&lc::ECDSA_P384_SHA384_ASN1, spki.key)
                    .map_err(|_| CsrError::PointNotOnCurve)?;
                KeyKind::EcP384
            } else if curve == Some(oid::SM2_CURVE) {
                sm2::PublicKey::from_sec1_bytes(spki.key).map_err(|_| CsrError::PointNotOnCurve)?;
                KeyKind::Sm2
            } else if curve == Some(P521) {
                return Err(CsrError::UnsupportedKey(
                    "EC P-521 (P-256, P-384 and SM2 only)",
                ));
            } else {
                return Err(CsrError::UnsupportedKey(
                    "EC curve other than P-256, P-384, SM2",
                ));
            }
        } else if spki.algorithm == ED25519 {
            return Err(CsrError::UnsupportedKey("Ed25519"));
        } else if spki.algorithm == ED448 {
            return Err(CsrError::UnsupportedKey("Ed448"));
        } else if spki.algorithm == DSA {
            return Err(CsrError::UnsupportedKey("DSA"));
        } else if spki.algorithm == RSA_PSS {
            return Err(CsrError::UnsupportedKey("RSASSA-PSS keys"));
        } else {
            return Err(CsrError::UnsupportedKey("unknown algorithm"));
        };
        Ok(PublicKey {
            spki: der.to_vec(),
            kind,
        })
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// SHA-256 of the `SubjectPublicKeyInfo` DER: the app refuses a key already certified
    /// for another subject by this fingerprint.
    pub fn sha256(&self) -> [u8; 32] {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.spki);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// A P-256 key from its uncompressed point (`04‖x‖y`, as a PKCS#11 token's `CKA_EC_POINT`
    /// holds it once unwrapped), checked.
    pub fn from_p256_point(point: &[u8]) -> Result<PublicKey, CsrError> {
        let alg = asn1::seq(&[oid::EC_PUBLIC_KEY, oid::P256]);
        PublicKey::from_spki_der(&asn1::seq(&[&alg, &asn1::bit_string(point)]))
    }

    /// An RSA key from its modulus and public exponent (unsigned big-endian, as a PKCS#11
    /// token's `CKA_MODULUS` / `CKA_PUBLIC_EXPONENT` hold them), checked.
    pub fn from_rsa_components(modulus: &[u8], exponent: &[u8]) -> Result<PublicKey, CsrError> {
        let int = |v: &[u8]| {
            let skip = v
                .iter()
                .take_while(|b| **b == 0)
                .count()
                .min(v.len().saturating_sub(1));
            let v = &v[skip..];
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                asn1::tlv(INTEGER, &[&[0], v])
            } else {
                asn1::tlv(INTEGER, &[v])
            }
        };
        let key = asn1::seq(&[&int(modulus), &int(exponent)]);
        let alg = asn1::seq(&[oid::RSA_ENCRYPTION, &[asn1::NULL, 0]]);
        PublicKey::from_spki_der(&asn1::seq(&[&alg, &asn1::bit_string(&key)]))
    }

    /// Verifies a signature over `message` made the way this key's [`Signer`](crate::Signer)
    /// signs: ECDSA with SHA-256 (DER), RSA PKCS#1 v1.5 with SHA-256, SM2 with SM3.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CsrError> {
        let alg = match self.kind {
            KeyKind::Rsa { .. } => oid::SHA256_WITH_RSA,
            KeyKind::EcP256 | KeyKind::EcP384 => oid::ECDSA_SHA256,
            KeyKind::Sm2 => oid::SM2_SM3,
        };
        self.verify_with(alg, None, message, signature)
    }

    /// Verifies a signature under the DER `AlgorithmIdentifier` that accompanies it (a
    /// certificate's `signatureAlgorithm`, an OCSP response's), e.g. a certificate's
    /// signature by its issuer's key.
    pub fn verify_signed(
        &self,
        algorithm_identifier: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CsrError> {
        let alg = asn1::read_single(algorithm_identifier, SEQUENCE, "bad AlgorithmIdentifier")?;
        let mut ar = alg.reader();
        let alg_oid = ar.read_tag(asn1::OID, "bad signature algorithm")?.raw;
        let alg_params = if ar.is_empty() {
            None
        } else {
            Some(ar.read()?.raw)
        };
        ar.finish("trailing data in signature algorithm")?;
        self.verify_with(alg_oid, alg_params, message, signature)
    }

    /// Verifies that this key signed a certificate (or a CRL: the same outer shape),
    /// i.e. that it is the key of the certificate's issuer.
    pub fn verify_certificate(&self, cert_der: &[u8]) -> Result<(), CsrError> {
        let cert = asn1::read_single(cert_der, SEQUENCE, "not a certificate")?;
        let mut r = cert.reader();
        let tbs = r.read_tag(SEQUENCE, "no TBSCertificate")?;
        let alg = r.read_tag(SEQUENCE, "no signature algorithm")?;
        let signature = asn1::bit_string_bytes(&r.read()?)?;
        r.finish("trailing data after the signature")?;
        self.verify_signed(alg.raw, tbs.raw, signature)
    }

    /// Verifies `signature` over `message` under a signature algorithm identifier.
    fn verify_with(
        &self,
        alg_oid: &[u8],
        alg_params: Option<&[u8]>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CsrError> {
        let spki = parse_spki(&self.spki)?;
        let no_params = alg_params.is_none();
        let null_or_none = alg_params.is_none() || alg_params == Some(&[asn1::NULL, 0]);
        let mismatch =
            CsrError::UnsupportedSignature("the signature algorithm does not match the key");
        let alg: &'static dyn lc::VerificationAlgorithm = match self.kind {
            KeyKind::Rsa { .. } => {
                if !null_or_none {
                    return Err(CsrError::Malformed("RSA signature algorithm parameters"));
                }
                if alg_oid == oid::SHA256_WITH_RSA {
                    &lc::RSA_PKCS1_2048_8192_SHA256
                } else if alg_oid == oid::SHA384_WITH_RSA {
                    &lc::RSA_PKCS1_2048_8192_SHA384
                } else if alg_oid == SHA512_WITH_RSA {
                    &lc::RSA_PKCS1_2048_8192_SHA512
                } else if alg_oid == RSA_PSS {
                    return Err(CsrError::UnsupportedSignature("RSASSA-PSS"));
                } else {
                    return Err(mismatch);
                }
            }
            KeyKind::EcP256 | KeyKind::EcP384 => {
                let p256 = self.kind == KeyKind::EcP256;
                if !no_params {
                    return Err(CsrError::Malformed("ECDSA signature algorithm parameters"));
                }
                match (
                    alg_oid == oid::ECDSA_SHA256,
                    alg_oid == oid::ECDSA_SHA384,
                    p256,
                ) {
                    (true, _, true) => &lc::ECDSA_P256_SHA256_ASN1,
                    (_, true, true) => &lc::ECDSA_P256_SHA384_ASN1,
                    (true, _, false) => &lc::ECDSA_P384_SHA256_ASN1,
                    (_, true, false) => &lc::ECDSA_P384_SHA384_ASN1,
                    _ => return Err(mismatch),
                }
            }
            KeyKind::Sm2 => {
                if alg_oid != oid::SM2_SM3 {
                    return Err(mismatch);
                }
                return verify_sm2(spki.key, message, signature);
            }
        };
        ParsedPublicKey::new(alg, spki.key)
            .map_err(|_| CsrError::PointNotOnCurve)?
            .verify_sig(message, signature)
            .map_err(|_| CsrError::BadSignature)
    }
}

/// SM2 signatures carry a signer id in their hash; GM/T 0009 defaults it to
/// `1234567812345678`, OpenSSL 3 to the empty string. Either is accepted.
fn verify_sm2(point: &[u8], message: &[u8], signature: &[u8]) -> Result<(), CsrError> {
    use sm2::dsa::signature::Verifier;
    let sig = sm2::dsa::Signature::from_der(signature).map_err(|_| CsrError::BadSignature)?;
    for id in [SM2_DEFAULT_ID, ""] {
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(id, point)
            .map_err(|_| CsrError::PointNotOnCurve)?;
        if key.verify(message, &sig).is_ok() {
            return Ok(());
        }
    }
    Err(CsrError::BadSignature)
}

fn check_rsa(pkcs1: &[u8]) -> Result<KeyKind, CsrError> {
    let key = asn1::read_single(pkcs1, SEQUENCE, "RSAPublicKey is not a SEQUENCE")?;
    let mut r = key.reader();
    let n = r.read_tag(INTEGER, "RSA modulus")?.value;
    let e = r.read_tag(INTEGER, "RSA exponent")?.value;
    r.finish("trailing data in RSAPublicKey")?;
    let positive = |v: &[u8]| !v.is_empty() && v[0] & 0x80 == 0;
    if !positive(n) || !positive(e) {
        return Err(CsrError::Malformed("negative RSA modulus or exponent"));
    }
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    let bits = match n.first() {
        Some(first) => n.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    };
    if bits < 2048 {
        return Err(CsrError::RsaTooSmall { bits });
    }
    if bits > 8192 {
        return Err(CsrError::RsaTooLarge { bits });
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err(CsrError::Malformed("even RSA modulus"));
    }
    let e = &e[e.iter().take_while(|b| **b == 0).count()..];
    if e.last().is_none_or(|b| b & 1 == 0) {
        return Err(CsrError::WeakExponent("even"));
    }
    // Below 2^16 + 1 (e.g. 3): refused, as the CA/Browser Forum and NIST SP 800-89 advise.
    if e.len() < 3 || (e.len() == 3 && e[0] == 1 && e[1] == 0 && e[2] < 1) {
        return Err(CsrError::WeakExponent("smaller than 65537"));
    }
    if e.len() > 32 {
        return Err(CsrError::WeakExponent("larger than 2^256"));
    }
    Ok(KeyKind::Rsa { bits })
}

/// A PKCS#10 request whose self-signature (proof of possession) has been verified.
///
/// Only the public key is used when issuing: the subject and requested extensions are
/// the profile's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csr {
    public_key: PublicKey,
    subject: Vec<u8>,
}

impl Csr {
    /// Parses a CSR (PEM `CERTIFICATE REQUEST` or DER) and verifies its signature.
    pub fn parse(input: &[u8]) -> Result<Csr, CsrError> {
        let der;
        let input = if pem::looks_like_pem(input) {
            der = pem::decode(input, &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"])
                .map_err(CsrError::Malformed)?;
            &der[..]
        } else {
            input
        };
        let req = asn1::read_single(input, SEQUENCE, "not a DER SEQUENCE")?;
        let mut r = req.reader();
        let info = r.read_tag(SEQUENCE, "no CertificationRequestInfo")?;
        let alg = r.read_tag(SEQUENCE, "no signature algorithm")?;
        let signature = asn1::bit_string_bytes(&r.read()?)?;
        r.finish("trailing data after the signature")?;

        let mut ir = info.reader();
        let version = ir.read_tag(INTEGER, "no version")?;
        if version.value != [0] {
            return Err(CsrError::Malformed("version is not 1"));
        }
        let subject = ir.read_tag(SEQUENCE, "no subject")?.raw.to_vec();
        let spki = ir.read_tag(SEQUENCE, "no public key")?.raw;
        ir.read_optional(ctx(0))?;
        ir.finish("trailing data in CertificationRequestInfo")?;

        let mut ar = alg.reader();
        let alg_oid = ar.read_tag(asn1::OID, "bad signature algorithm")?.raw;
        let alg_params = if ar.is_empty() {
            None
        } else {
            Some(ar.read()?.raw)
        };
        ar.finish("trailing data in signature algorithm")?;

        let public_key = PublicKey::from_spki_der(spki)?;
        public_key.verify_with(alg_oid, alg_params, info.raw, signature)?;
        Ok(Csr {
            public_key,
            subject,
        })
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The requested subject (DER `Name`), for display only.
    pub fn requested_subject_der(&self) -> &[u8] {
        &self.subject
    }
}

/// A PKCS#10 request for `signer`'s key, signed by it (proof of possession): the subject
/// given, no attributes. The CA takes only the key from it; the subject is for display.
pub fn build_csr(
    signer: &dyn crate::Signer,
    subject: &crate::DistinguishedName,
) -> Result<Vec<u8>, crate::CertError> {
    let subject = subject.to_der()?;
    let info = asn1::seq(&[
        &[INTEGER, 1, 0],
        &subject,
        signer.public_key_der(),
        &[ctx(0), 0],
    ]);
    let signature = signer.sign(&info)?;
    Ok(asn1::seq(&[
        &info,
        signer.algorithm().algorithm_identifier(),
        &asn1::bit_string(&signature),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_key(n_bits: usize, e: &[u8]) -> Vec<u8> {
        let mut n = vec![0xffu8; n_bits / 8];
        n.insert(0, 0);
        asn1::seq(&[&asn1::tlv(INTEGER, &[&n]), &asn1::tlv(INTEGER, &[e])])
    }

    #[test]
    fn rsa_checks() {
        assert_eq!(
            check_rsa(&rsa_key(2048, &[1, 0, 1])),
            Ok(KeyKind::Rsa { bits: 2048 })
        );
        assert_eq!(
            check_rsa(&rsa_key(1024, &[1, 0, 1])),
            Err(CsrError::RsaTooSmall { bits: 1024 })
        );
        assert_eq!(
            check_rsa(&rsa_key(16384, &[1, 0, 1])),
            Err(CsrError::RsaTooLarge { bits: 16384 })
        );
        assert_eq!(
            check_rsa(&rsa_key(2048, &[3])),
            Err(CsrError::WeakExponent("smaller than 65537"))
        );
        assert_eq!(
            check_rsa(&rsa_key(2048, &[1, 0, 0])),
            Err(CsrError::WeakExponent("even"))
        );
        assert_eq!(
            check_rsa(&rsa_key(2048, &[0, 0xff, 0xff])),
            Err(CsrError::WeakExponent("smaller than 65537"))
        );
        assert!(check_rsa(&rsa_key(2048, &[1, 0, 3])).is_ok());
    }
}
