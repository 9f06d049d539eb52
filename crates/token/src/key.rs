//! Key pairs on the token: generating them, finding them, signing with them.

use std::sync::{Arc, Mutex};

use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use pki::{PublicKey, SignError, SignatureAlgorithm, Signer};
use serde::Serialize;

use crate::TokenError;

/// The key algorithms a USB key is asked to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAlg {
    /// ECDSA on P-256: the default, offered by every token certdesk supports.
    P256,
    /// RSA-2048, where the token offers CKM_RSA_PKCS_KEY_PAIR_GEN.
    Rsa2048,
}

impl KeyAlg {
    pub fn parse(s: &str) -> Option<KeyAlg> {
        match s {
            "p256" | "P-256" | "ec" => Some(KeyAlg::P256),
            "rsa2048" | "RSA-2048" | "rsa" => Some(KeyAlg::Rsa2048),
            _ => None,
        }
    }
}

/// A private key on the token, with its public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// CKA_ID, shared by the private key, the public key and the certificate.
    #[serde(serialize_with = "hex_bytes")]
    pub id: Vec<u8>,
    pub label: String,
    pub algorithm: KeyAlg,
    /// The public key's `SubjectPublicKeyInfo`, DER.
    #[serde(skip)]
    pub spki_der: Vec<u8>,
    /// Whether a certificate with this key's CKA_ID is on the token.
    pub has_certificate: bool,
}

fn hex_bytes<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

impl KeyInfo {
    pub fn id_hex(&self) -> String {
        hex::encode(&self.id)
    }

    /// How the key is named in messages: `label (id)`.
    pub fn name(&self) -> String {
        format!("{} ({})", self.label, self.id_hex())
    }
}

/// SoftHSM (and the standard) wrap `CKA_EC_POINT` in a DER OCTET STRING; some tokens do not.
fn unwrap_ec_point(value: &[u8]) -> Option<&[u8]> {
    match value {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 && rest[0] == 0x04 => Some(rest),
        [0x04, ..] if value.len() == 65 => Some(value),
        _ => None,
    }
}

const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The public key object's key as a checked `PublicKey`, and its algorithm.
pub(crate) fn public_key(
    session: &Session,
    handle: ObjectHandle,
) -> Result<(KeyAlg, PublicKey), TokenError> {
    let mut key_type = None;
    let (mut params, mut point, mut modulus, mut exponent) = (None, None, None, None);
    for a in session.get_attributes(
        handle,
        &[
            AttributeType::KeyType,
            AttributeType::EcParams,
            AttributeType::EcPoint,
            AttributeType::Modulus,
            AttributeType::PublicExponent,
        ],
    )? {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            Attribute::Modulus(m) => modulus = Some(m),
            Attribute::PublicExponent(e) => exponent = Some(e),
            _ => {}
        }
    }
    let bad = |e: pki::CsrError| TokenError::Device(format!("公钥无法读取：{e}"));
    match key_type {
        Some(KeyType::EC) => {
            if params.as_deref() != Some(P256_PARAMS) {
                return Err(TokenError::Unsupported("P-256 以外的椭圆曲线"));
            }
            let point = point
                .as_deref()
                .and_then(unwrap_ec_point)
                .ok_or(TokenError::Unsupported("这种椭圆曲线公钥格式"))?;
            Ok((
                KeyAlg::P256,
                PublicKey::from_p256_point(point).map_err(bad)?,
            ))
        }
        Some(KeyType::RSA) => {
            let (Some(n), Some(e)) = (modulus, exponent) else {
                return Err(TokenError::Device("RSA 公钥缺少模数或指数".into()));
            };
            let key = PublicKey::from_rsa_components(&n, &e).map_err(bad)?;
            if key.kind() != (pki::KeyKind::Rsa { bits: 2048 }) {
                return Err(TokenError::Unsupported("2048 位以外的 RSA 密钥"));
            }
            Ok((KeyAlg::Rsa2048, key))
        }
        _ => Err(TokenError::Unsupported("这种密钥类型")),
    }
}

/// Generates a key pair on the token under a fresh random CKA_ID; the private key is
/// sensitive and never extractable. Returns the id.
pub(crate) fn generate(
    session: &Session,
    mechanisms: &[MechanismType],
    label: &str,
    alg: KeyAlg,
) -> Result<Vec<u8>, TokenError> {
    let mut id = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut id).map_err(|_| TokenError::Device("无法生成随机数".into()))?;
    let label = label.as_bytes().to_vec();
    let common_public = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Label(label.clone()),
        Attribute::Id(id.clone()),
    ];
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Label(label),
        Attribute::Id(id.clone()),
    ];
    let (mechanism, mut public) = match alg {
        KeyAlg::P256 => {
            if !mechanisms.contains(&MechanismType::ECC_KEY_PAIR_GEN) {
                return Err(TokenError::Unsupported("在 USB-KEY 内生成 P-256 密钥"));
            }
            (
                Mechanism::EccKeyPairGen,
                vec![
                    Attribute::KeyType(KeyType::EC),
                    Attribute::EcParams(P256_PARAMS.to_vec()),
                ],
            )
        }
        KeyAlg::Rsa2048 => {
            if !mechanisms.contains(&MechanismType::RSA_PKCS_KEY_PAIR_GEN) {
                return Err(TokenError::Unsupported("RSA-2048 密钥生成"));
            }
            (
                Mechanism::RsaPkcsKeyPairGen,
                vec![
                    Attribute::KeyType(KeyType::RSA),
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                ],
            )
        }
    };
    public.extend(common_public);
    session.generate_key_pair(&mechanism, &public, &private)?;
    Ok(id)
}

/// A private key on the token, signing the way pki's [`Signer`] expects: SHA-256 on the
/// host, then `CKM_ECDSA` (raw `r‖s` turned into DER) or `CKM_RSA_PKCS` over the
/// DigestInfo — the two mechanisms every token has, where the hash-and-sign ones vary.
pub struct TokenKey {
    pub(crate) session: Arc<Mutex<Session>>,
    pub(crate) handle: ObjectHandle,
    pub(crate) info: KeyInfo,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("label", &self.info.label)
            .field("id", &self.info.id_hex())
            .finish_non_exhaustive()
    }
}

/// DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

impl TokenKey {
    pub fn info(&self) -> &KeyInfo {
        &self.info
    }
}

impl Signer for TokenKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        match self.info.algorithm {
            KeyAlg::P256 => SignatureAlgorithm::EcdsaSha256,
            KeyAlg::Rsa2048 => SignatureAlgorithm::RsaPkcs1Sha256,
        }
    }

    fn public_key_der(&self) -> &[u8] {
        &self.info.spki_der
    }

    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, tbs);
        let session = self
            .session
            .lock()
            .map_err(|_| SignError("token session poisoned".into()))?;
        let ck = |e: cryptoki::error::Error| SignError(TokenError::from(e).to_string());
        match self.info.algorithm {
            KeyAlg::P256 => {
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.handle, digest.as_ref())
                    .map_err(ck)?;
                pki::ecdsa_raw_to_der(&raw)
            }
            KeyAlg::Rsa2048 => {
                let mut block = SHA256_DIGEST_INFO.to_vec();
                block.extend_from_slice(digest.as_ref());
                session
                    .sign(&Mechanism::RsaPkcs, self.handle, &block)
                    .map_err(ck)
            }
        }
    }
}

/// The private keys on the token (the session must be logged in), with their public keys.
pub(crate) fn list(session: &Session) -> Result<Vec<(ObjectHandle, KeyInfo)>, TokenError> {
    let mut out = Vec::new();
    for handle in session.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])? {
        let r = crate::module::key_ref(session, handle)?;
        let id = hex::decode(&r.id).unwrap_or_default();
        let public = session.find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Id(id.clone()),
        ])?;
        // Some tools keep only the private key and its certificate: the certificate then
        // gives the public key. A key with neither cannot be certified or checked: skipped.
        let found = match public.first() {
            Some(&public) => public_key(session, public).ok(),
            None => from_certificate(session, &id)?,
        };
        let Some((algorithm, key)) = found else {
            continue;
        };
        let has_certificate = !session
            .find_objects(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::Id(id.clone()),
            ])?
            .is_empty();
        out.push((
            handle,
            KeyInfo {
                id,
                label: r.label,
                algorithm,
                spki_der: key.spki_der().to_vec(),
                has_certificate,
            },
        ));
    }
    Ok(out)
}

/// The public key of the newest certificate with this CKA_ID, if it is one we sign with.
fn from_certificate(
    session: &Session,
    id: &[u8],
) -> Result<Option<(KeyAlg, PublicKey)>, TokenError> {
    let mut certs = crate::certificate::stored(session, Some(id))?;
    certs.sort_by_key(|c| c.parsed.not_before);
    let Some(cert) = certs.pop() else {
        return Ok(None);
    };
    let Ok(key) = PublicKey::from_spki_der(&cert.parsed.spki_der) else {
        return Ok(None);
    };
    Ok(match key.kind() {
        pki::KeyKind::EcP256 => Some((KeyAlg::P256, key)),
        pki::KeyKind::Rsa { bits: 2048 } => Some((KeyAlg::Rsa2048, key)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_points_unwrap_with_or_without_their_octet_string() {
        let mut raw = vec![0x04; 65];
        raw[1] = 7;
        assert_eq!(unwrap_ec_point(&raw), Some(&raw[..]));
        let mut wrapped = vec![0x04, 0x41];
        wrapped.extend_from_slice(&raw);
        assert_eq!(unwrap_ec_point(&wrapped), Some(&raw[..]));
        assert_eq!(unwrap_ec_point(&[0x04, 0x01, 0x04]), None);
        assert_eq!(unwrap_ec_point(&raw[..64]), None);
    }

    #[test]
    fn algorithms_parse() {
        assert_eq!(KeyAlg::parse("p256"), Some(KeyAlg::P256));
        assert_eq!(KeyAlg::parse("rsa2048"), Some(KeyAlg::Rsa2048));
        assert_eq!(KeyAlg::parse("sm2"), None);
    }
}
