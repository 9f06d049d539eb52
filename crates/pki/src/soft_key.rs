//! Keys held in memory and stored as encrypted PKCS#8 files.
//!
//! P-256 and RSA go through aws-lc-rs (fast, and it generates RSA keys); SM2 through the
//! RustCrypto `sm2` crate. The file format is the one OpenSSL writes by default:
//! `ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC. The PBES2
//! layer is done here with aws-lc-rs primitives so that a debug build does not spend
//! seconds in an unoptimised PBKDF2.

use std::num::NonZeroU32;

use aws_lc_rs::cipher::{
    AES_128, AES_256, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self as lc, EcdsaKeyPair, KeyPair as _};
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use crate::asn1::{self, INTEGER, OCTET_STRING, SEQUENCE};
use crate::oid;
use crate::signer::{KeyAlgorithm, SignError, SignatureAlgorithm, Signer, ecdsa_raw_to_der};
use crate::{SM2_DEFAULT_ID, pem};

/// PBKDF2 iterations for the files we write (OWASP's 2023 figure for HMAC-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Files asking for more than this are refused rather than left to burn CPU.
const MAX_ITERATIONS: u32 = 10_000_000;

/// Why a key could not be generated, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("wrong passphrase (or a corrupted key file)")]
    WrongPassphrase,
    #[error("malformed key file: {0}")]
    Malformed(&'static str),
    #[error("unsupported key file: {0}")]
    Unsupported(String),
    #[error("key generation failed: {0}")]
    Generate(&'static str),
}

enum Inner {
    Ecdsa(EcdsaKeyPair),
    Rsa(aws_lc_rs::rsa::KeyPair),
    Sm2(sm2::dsa::SigningKey),
}

/// A private key in memory: P-256, RSA or SM2.
pub struct SoftKey {
    inner: Inner,
    algorithm: KeyAlgorithm,
    spki: Vec<u8>,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SoftKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn random_bytes(buf: &mut [u8]) -> Result<(), KeyError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| KeyError::Generate("the OS random source failed"))
}

impl SoftKey {
    /// Generates a new key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<SoftKey, KeyError> {
        let pkcs8 = match algorithm {
            KeyAlgorithm::EcdsaP256 => {
                let key = EcdsaKeyPair::generate(&lc::ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| KeyError::Generate("P-256"))?;
                let doc = key
                    .to_pkcs8v1()
                    .map_err(|_| KeyError::Generate("P-256 PKCS#8"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                let size = if algorithm == KeyAlgorithm::Rsa2048 {
                    aws_lc_rs::rsa::KeySize::Rsa2048
                } else {
                    aws_lc_rs::rsa::KeySize::Rsa3072
                };
                let key = aws_lc_rs::rsa::KeyPair::generate(size)
                    .map_err(|_| KeyError::Generate("RSA"))?;
                let der: Pkcs8V1Der<'static> =
                    key.as_der().map_err(|_| KeyError::Generate("RSA PKCS#8"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            KeyAlgorithm::Sm2 => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                let secret = loop {
                    random_bytes(&mut bytes[..])?;
                    if let Ok(secret) = sm2::SecretKey::from_slice(&bytes[..]) {
                        break secret;
                    }
                };
                let doc = secret
                    .to_pkcs8_der()
                    .map_err(|_| KeyError::Generate("SM2 PKCS#8"))?;
                Zeroizing::new(doc.as_bytes().to_vec())
            }
        };
        SoftKey::from_pkcs8_der(&pkcs8)
    }

    /// Reads an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SoftKey, KeyError> {
        let info = asn1::read_single(der, SEQUENCE, "PrivateKeyInfo is not a SEQUENCE")
            .map_err(|e| KeyError::Malformed(e.0))?;
        let mut r = info.reader();
        let m = |e: asn1::Malformed| KeyError::Malformed(e.0);
        r.read_tag(INTEGER, "bad PrivateKeyInfo version")
            .map_err(m)?;
        let alg = r
            .read_tag(SEQUENCE, "bad PrivateKeyInfo algorithm")
            .map_err(m)?;
        let mut ar = alg.reader();
        let alg_oid = ar.read_tag(asn1::OID, "bad key algorithm").map_err(m)?.raw;
        let params = if ar.is_empty() {
            None
        } else {
            Some(ar.read().map_err(m)?.raw)
        };

        let (inner, algorithm, spki) = if alg_oid == oid::RSA_ENCRYPTION {
            let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(der)
                .map_err(|e| KeyError::Unsupported(format!("RSA key: {e}")))?;
            let bits = key.public_modulus_len() * 8;
            let algorithm = match bits {
                2048 => KeyAlgorithm::Rsa2048,
                3072 => KeyAlgorithm::Rsa3072,
                _ => {
                    return Err(KeyError::Unsupported(format!(
                        "RSA-{bits} (2048 or 3072 only)"
                    )));
                }
            };
            let spki = key
                .public_key()
                .as_der()
                .map_err(|_| KeyError::Malformed("RSA public key"))?
                .as_ref()
                .to_vec();
            (Inner::Rsa(key), algorithm, spki)
        } else if alg_oid == oid::EC_PUBLIC_KEY && params == Some(oid::P256) {
            let key = EcdsaKeyPair::from_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING, der)
                .map_err(|e| KeyError::Unsupported(format!("P-256 key: {e}")))?;
            let spki = key
                .public_key()
                .as_der()
                .map_err(|_| KeyError::Malformed("EC public key"))?
                .as_ref()
                .to_vec();
            (Inner::Ecdsa(key), KeyAlgorithm::EcdsaP256, spki)
        } else if alg_oid == oid::EC_PUBLIC_KEY && params == Some(oid::SM2_CURVE) {
            let secret = sm2::SecretKey::from_pkcs8_der(der)
                .map_err(|_| KeyError::Malformed("SM2 private key"))?;
            let spki = secret
                .public_key()
                .to_public_key_der()
                .map_err(|_| KeyError::Malformed("SM2 public key"))?
                .into_vec();
            let key = sm2::dsa::SigningKey::new(SM2_DEFAULT_ID, &secret)
                .map_err(|_| KeyError::Malformed("SM2 private key"))?;
            (Inner::Sm2(key), KeyAlgorithm::Sm2, spki)
        } else {
            return Err(KeyError::Unsupported(
                "only P-256, RSA-2048/3072 and SM2 keys are supported".into(),
            ));
        };
        Ok(SoftKey {
            inner,
            algorithm,
            spki,
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The unencrypted PKCS#8 DER (for a PKCS#12 bundle); keep it out of logs and disks.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// Writes the key as an `ENCRYPTED PRIVATE KEY` PEM (PBES2: PBKDF2-HMAC-SHA256 with
    /// [`PBKDF2_ITERATIONS`], AES-256-CBC), which `openssl pkey -passin` reads.
    pub fn to_encrypted_pem(&self, passphrase: &str) -> Result<Zeroizing<String>, KeyError> {
        self.to_encrypted_pem_with_iterations(passphrase, PBKDF2_ITERATIONS)
    }

    /// As [`SoftKey::to_encrypted_pem`] with a chosen iteration count (tests, benchmarks).
    pub fn to_encrypted_pem_with_iterations(
        &self,
        passphrase: &str,
        iterations: u32,
    ) -> Result<Zeroizing<String>, KeyError> {
        let iterations =
            NonZeroU32::new(iterations).ok_or(KeyError::Generate("zero iterations"))?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        random_bytes(&mut salt)?;
        random_bytes(&mut iv)?;
        let mut key = Zeroizing::new([0u8; 32]);
        aws_lc_rs::pbkdf2::derive(
            aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            passphrase.as_bytes(),
            &mut key[..],
        );
        let cipher = UnboundCipherKey::new(&AES_256, &key[..])
            .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
            .map_err(|_| KeyError::Generate("AES-256-CBC key"))?;
        let mut data = self.pkcs8.to_vec();
        cipher
            .less_safe_encrypt(
                &mut data,
                aws_lc_rs::cipher::EncryptionContext::Iv128(iv.into()),
            )
            .map_err(|_| KeyError::Generate("AES-256-CBC"))?;

        let kdf_params = asn1::seq(&[
            &asn1::octet_string(&salt),
            &asn1::uint(u64::from(iterations.get())),
            HMAC_SHA256_ID,
        ]);
        let kdf = asn1::seq(&[PBKDF2_OID, &kdf_params]);
        let enc = asn1::seq(&[AES256_CBC_OID, &asn1::octet_string(&iv)]);
        let pbes2 = asn1::seq(&[PBES2_OID, &asn1::seq(&[&kdf, &enc])]);
        let der = asn1::seq(&[&pbes2, &asn1::octet_string(&data)]);
        Ok(Zeroizing::new(pem::encode("ENCRYPTED PRIVATE KEY", &der)))
    }

    /// Reads an `ENCRYPTED PRIVATE KEY` PEM written by [`SoftKey::to_encrypted_pem`] or by
    /// OpenSSL (PBES2, PBKDF2 with HMAC-SHA256 or HMAC-SHA1, AES-256-CBC or AES-128-CBC).
    pub fn from_encrypted_pem(pem_text: &str, passphrase: &str) -> Result<SoftKey, KeyError> {
        let der = pem::decode(pem_text.as_bytes(), &["ENCRYPTED PRIVATE KEY"])
            .map_err(KeyError::Malformed)?;
        let plain = decrypt_pkcs8(&der, passphrase)?;
        SoftKey::from_pkcs8_der(&plain).map_err(|e| match e {
            // A wrong passphrase decrypts to garbage that may still end in valid padding.
            KeyError::Malformed(_) => KeyError::WrongPassphrase,
            other => other,
        })
    }
}

const PBES2_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
];
const PBKDF2_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c,
];
const HMAC_SHA256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const HMAC_SHA1_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const HMAC_SHA256_ID: &[u8] = &[
    0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09, 0x05, 0x00,
];
const AES256_CBC_OID: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
];
const AES128_CBC_OID: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02,
];

fn decrypt_pkcs8(der: &[u8], passphrase: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let m = |e: asn1::Malformed| KeyError::Malformed(e.0);
    let epki = asn1::read_single(der, SEQUENCE, "EncryptedPrivateKeyInfo").map_err(m)?;
    let mut r = epki.reader();
    let alg = r
        .read_tag(SEQUENCE, "encryption AlgorithmIdentifier")
        .map_err(m)?;
    let data = r.read_tag(OCTET_STRING, "encryptedData").map_err(m)?.value;
    r.finish("trailing data").map_err(m)?;

    let mut ar = alg.reader();
    if ar.read_tag(asn1::OID, "encryption OID").map_err(m)?.raw != PBES2_OID {
        return Err(KeyError::Unsupported(
            "encryption scheme other than PBES2".into(),
        ));
    }
    let params = ar.read_tag(SEQUENCE, "PBES2 parameters").map_err(m)?;
    let mut pr = params.reader();
    let kdf = pr.read_tag(SEQUENCE, "PBES2 key derivation").map_err(m)?;
    let enc = pr
        .read_tag(SEQUENCE, "PBES2 encryption scheme")
        .map_err(m)?;

    let mut kr = kdf.reader();
    if kr.read_tag(asn1::OID, "KDF OID").map_err(m)?.raw != PBKDF2_OID {
        return Err(KeyError::Unsupported(
            "key derivation other than PBKDF2 (e.g. scrypt)".into(),
        ));
    }
    let kp = kr.read_tag(SEQUENCE, "PBKDF2 parameters").map_err(m)?;
    let mut kpr = kp.reader();
    let salt = kpr.read_tag(OCTET_STRING, "PBKDF2 salt").map_err(m)?.value;
    let iterations = small_uint(kpr.read_tag(INTEGER, "PBKDF2 iterations").map_err(m)?.value)
        .and_then(|i| u32::try_from(i).ok())
        .filter(|i| (1..=MAX_ITERATIONS).contains(i))
        .and_then(NonZeroU32::new)
        .ok_or(KeyError::Unsupported(
            "PBKDF2 iteration count out of range".into(),
        ))?;
    // keyLength is optional; the cipher decides it anyway.
    kpr.read_optional(INTEGER).map_err(m)?;
    let prf = match kpr.read_optional(SEQUENCE).map_err(m)? {
        None => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA1,
        Some(p) => {
            let mut ppr = p.reader();
            let oid = ppr.read_tag(asn1::OID, "PBKDF2 PRF").map_err(m)?.raw;
            if oid == HMAC_SHA256_OID {
                aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256
            } else if oid == HMAC_SHA1_OID {
                aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA1
            } else {
                return Err(KeyError::Unsupported(
                    "PBKDF2 PRF other than HMAC-SHA256/SHA1".into(),
                ));
            }
        }
    };

    let mut er = enc.reader();
    let cipher_oid = er.read_tag(asn1::OID, "cipher OID").map_err(m)?.raw;
    let iv = er.read_tag(OCTET_STRING, "cipher IV").map_err(m)?.value;
    let (cipher_alg, key_len) = if cipher_oid == AES256_CBC_OID {
        (&AES_256, 32)
    } else if cipher_oid == AES128_CBC_OID {
        (&AES_128, 16)
    } else {
        return Err(KeyError::Unsupported("cipher other than AES-CBC".into()));
    };
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| KeyError::Malformed("IV is not 16 bytes"))?;

    let mut key = Zeroizing::new([0u8; 32]);
    aws_lc_rs::pbkdf2::derive(
        prf,
        iterations,
        salt,
        passphrase.as_bytes(),
        &mut key[..key_len],
    );
    let cipher = UnboundCipherKey::new(cipher_alg, &key[..key_len])
        .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
        .map_err(|_| KeyError::Malformed("cipher key"))?;
    let mut buf = Zeroizing::new(data.to_vec());
    let plain_len = cipher
        .decrypt(
            &mut buf,
            aws_lc_rs::cipher::DecryptionContext::Iv128(iv.into()),
        )
        .map_err(|_| KeyError::WrongPassphrase)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

/// A small non-negative INTEGER's value.
pub(crate) fn small_uint(content: &[u8]) -> Option<u64> {
    if content.is_empty() || content[0] & 0x80 != 0 || content.len() > 9 {
        return None;
    }
    let content = if content[0] == 0 {
        &content[1..]
    } else {
        content
    };
    if content.len() > 8 {
        return None;
    }
    Some(
        content
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    )
}

impl Signer for SoftKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm.signature_algorithm()
    }

    fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            Inner::Ecdsa(key) => key
                .sign(&SystemRandom::new(), tbs)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError("ECDSA".into())),
            Inner::Rsa(key) => {
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign(&lc::RSA_PKCS1_SHA256, &SystemRandom::new(), tbs, &mut sig)
                    .map_err(|_| SignError("RSA".into()))?;
                Ok(sig)
            }
            Inner::Sm2(key) => {
                use sm2::dsa::signature::Signer as _;
                let sig: sm2::dsa::Signature =
                    key.try_sign(tbs).map_err(|_| SignError("SM2".into()))?;
                ecdsa_raw_to_der(&sig.to_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_round_trip_and_wrong_passphrase() {
        let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let pem = key
            .to_encrypted_pem_with_iterations("秘密 passphrase", 1000)
            .unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let back = SoftKey::from_encrypted_pem(&pem, "秘密 passphrase").unwrap();
        assert_eq!(back.public_key_der(), key.public_key_der());
        assert!(matches!(
            SoftKey::from_encrypted_pem(&pem, "wrong"),
            Err(KeyError::WrongPassphrase)
        ));
    }

    #[test]
    fn small_uints() {
        assert_eq!(small_uint(&[0x00, 0x80]), Some(128));
        assert_eq!(small_uint(&[0x80]), None);
        assert_eq!(small_uint(&[]), None);
    }
}
