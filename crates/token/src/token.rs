//! An opened, logged-in token: keys, certificates, e-seal images.

use std::sync::{Arc, Mutex, MutexGuard};

use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use serde::Serialize;

use crate::TokenError;
use crate::certificate::{self, CertificateInfo, Parsed};
use crate::key::{self, KeyAlg, KeyInfo, TokenKey};
use crate::module::{Module, TokenInfo};

/// CKA_APPLICATION of the e-seal image objects.
pub const SEAL_APPLICATION: &str = "certdesk 电子签章";

/// CKA_CERTIFICATE_CATEGORY (PKCS#11 2.40 §4.6.2); cryptoki has no named variant for it.
const CKA_CERTIFICATE_CATEGORY: u64 = 0x87;
const CATEGORY_TOKEN_USER: u64 = 1;
const CATEGORY_AUTHORITY: u64 = 2;

fn category(value: u64) -> Attribute {
    Attribute::VendorDefined((
        AttributeType::VendorDefined(CKA_CERTIFICATE_CATEGORY),
        value.to_ne_bytes().to_vec(),
    ))
}

/// A token opened with its user PIN.
pub struct Token {
    _module: Module,
    info: TokenInfo,
    session: Arc<Mutex<Session>>,
    mechanisms: Vec<MechanismType>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("label", &self.info.label)
            .field("serial", &self.info.serial)
            .finish_non_exhaustive()
    }
}

/// What a 信息变更 application needs from the plugged-in key (seed 003 读取).
#[derive(Debug, Clone, Serialize)]
pub struct ReadOut {
    /// The token's serial number (锁序列号).
    pub token_serial: String,
    pub token_label: String,
    /// The holder's certificates (those beside a private key), newest first.
    pub certificates: Vec<CertificateInfo>,
}

impl Token {
    pub(crate) fn new(
        module: Module,
        info: TokenInfo,
        session: Arc<Mutex<Session>>,
        mechanisms: Vec<MechanismType>,
    ) -> Token {
        Token {
            _module: module,
            info,
            session,
            mechanisms,
        }
    }

    /// Slot, label, serial, manufacturer and model (the object lists are left empty).
    pub fn info(&self) -> &TokenInfo {
        &self.info
    }

    fn session(&self) -> Result<MutexGuard<'_, Session>, TokenError> {
        self.session
            .lock()
            .map_err(|_| TokenError::Device("token session poisoned".into()))
    }

    /// Generates a key pair on the token: the private key never leaves it.
    pub fn keygen(&self, label: &str, alg: KeyAlg) -> Result<KeyInfo, TokenError> {
        let label = label.trim();
        if label.is_empty() || label.len() > 64 {
            return Err(TokenError::Device("密钥名称须为 1 到 64 个字节".into()));
        }
        let id = {
            let session = self.session()?;
            if key::list(&session)?.iter().any(|(_, k)| k.label == label) {
                return Err(TokenError::KeyExists(label.to_string()));
            }
            key::generate(&session, &self.mechanisms, label, alg)?
        };
        Ok(self.key(&hex::encode(id))?.info)
    }

    /// The private keys on the token, with their public keys.
    pub fn keys(&self) -> Result<Vec<KeyInfo>, TokenError> {
        Ok(key::list(&*self.session()?)?
            .into_iter()
            .map(|(_, k)| k)
            .collect())
    }

    /// The key on this token that a certificate was issued for (their public keys match),
    /// if there is one: how `enroll` finds where a certificate belongs when it resumes.
    pub fn key_for_certificate(&self, cert_der: &[u8]) -> Result<Option<KeyInfo>, TokenError> {
        let parsed = crate::certificate::Parsed::parse(cert_der)?;
        Ok(self
            .keys()?
            .into_iter()
            .find(|k| k.spki_der == parsed.spki_der))
    }

    /// A key by its CKA_ID (hex) or its label.
    pub fn key(&self, id_or_label: &str) -> Result<TokenKey, TokenError> {
        let keys = key::list(&*self.session()?)?;
        let wanted = id_or_label.trim();
        let found = keys
            .iter()
            .find(|(_, k)| k.id_hex().eq_ignore_ascii_case(wanted))
            .or_else(|| keys.iter().find(|(_, k)| k.label == wanted));
        match found {
            Some((handle, info)) => Ok(TokenKey {
                session: self.session.clone(),
                handle: *handle,
                info: info.clone(),
            }),
            None => Err(TokenError::KeyNotFound {
                wanted: wanted.to_string(),
                available: keys.iter().map(|(_, k)| k.name()).collect(),
            }),
        }
    }

    /// Writes an issued certificate beside its key, and its chain as authority
    /// certificates (once each). A certificate already there for the key (an older one,
    /// on renewal with the same key) is removed only after the new one is written, so an
    /// interruption leaves a usable token.
    pub fn install(
        &self,
        key_id: &[u8],
        cert_der: &[u8],
        chain_der: &[Vec<u8>],
    ) -> Result<(), TokenError> {
        let key = self.key(&hex::encode(key_id))?;
        let cert = Parsed::parse(cert_der)?;
        if !same_key(&cert.spki_der, &key.info.spki_der) {
            return Err(TokenError::CertificateMismatch);
        }
        let chain = chain_der
            .iter()
            .map(|d| Parsed::parse(d).map(|p| (d, p)))
            .collect::<Result<Vec<_>, _>>()?;
        let session = self.session()?;
        let old = certificate::stored(&session, Some(key_id))?;
        if !old.iter().any(|o| o.der == cert_der) {
            session.create_object(&cert_template(
                cert_der,
                &cert,
                &key.info.label,
                key_id,
                CATEGORY_TOKEN_USER,
            ))?;
            for o in &old {
                session.destroy_object(o.handle)?;
            }
        }
        let present = certificate::stored(&session, None)?;
        for (der, parsed) in chain {
            if present.iter().any(|p| p.der == **der) {
                continue;
            }
            let label = parsed.subject.cn.clone().unwrap_or_else(|| "CA".into());
            let id = ca_id(der);
            session.create_object(&cert_template(
                der,
                &parsed,
                &label,
                &id,
                CATEGORY_AUTHORITY,
            ))?;
        }
        Ok(())
    }

    /// The newest certificate (latest notBefore) with the key's CKA_ID, DER.
    pub fn certificate(&self, key_id: &[u8]) -> Result<Option<Vec<u8>>, TokenError> {
        let session = self.session()?;
        let mut certs = certificate::stored(&session, Some(key_id))?;
        certs.sort_by_key(|c| c.parsed.not_before);
        Ok(certs.pop().map(|c| c.der))
    }

    /// Every CA certificate on the token (DER), for building a chain.
    pub(crate) fn authority_certificates(&self) -> Result<Vec<Vec<u8>>, TokenError> {
        let session = self.session()?;
        let keys: Vec<Vec<u8>> = key::list(&session)?
            .into_iter()
            .map(|(_, k)| k.id)
            .collect();
        Ok(certificate::stored(&session, None)?
            .into_iter()
            .filter(|c| c.parsed.is_ca || !keys.contains(&c.id))
            .map(|c| c.der)
            .collect())
    }

    /// What a 信息变更 needs from the key: the token serial and, per certificate beside a
    /// key, serial, subject fields, issuer, validity and key id.
    pub fn read(&self) -> Result<ReadOut, TokenError> {
        let session = self.session()?;
        let keys: Vec<Vec<u8>> = key::list(&session)?
            .into_iter()
            .map(|(_, k)| k.id)
            .collect();
        let mut certs: Vec<_> = certificate::stored(&session, None)?
            .into_iter()
            .filter(|c| keys.contains(&c.id) && !c.parsed.is_ca)
            .collect();
        certs.sort_by_key(|c| std::cmp::Reverse(c.parsed.not_before));
        Ok(ReadOut {
            token_serial: self.info.serial.clone(),
            token_label: self.info.label.clone(),
            certificates: certs
                .into_iter()
                .map(|c| c.parsed.info(c.label, hex::encode(&c.id)))
                .collect(),
        })
    }

    /// Writes the e-seal image (印章图片) for a key as a data object, replacing an earlier
    /// one (年检) after the new one is written.
    pub fn install_seal(&self, key_id: &[u8], image: &[u8], mime: &str) -> Result<(), TokenError> {
        let key = self.key(&hex::encode(key_id))?;
        if image.is_empty() {
            return Err(TokenError::BadSeal("图片是空的"));
        }
        if !matches!(
            mime,
            "image/png" | "image/jpeg" | "image/svg+xml" | "image/gif"
        ) {
            return Err(TokenError::BadSeal("只接受 PNG、JPEG、GIF 或 SVG 图片"));
        }
        let session = self.session()?;
        let old = seals(&session, &key.info.id)?;
        session.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
            Attribute::Label(seal_label(&key.info.id, mime).into_bytes()),
            Attribute::Value(image.to_vec()),
        ])?;
        for (h, _) in old {
            session.destroy_object(h)?;
        }
        Ok(())
    }

    /// The e-seal image for a key, if one is on the token, and its media type.
    pub fn seal(&self, key_id: &[u8]) -> Result<Option<(Vec<u8>, String)>, TokenError> {
        let session = self.session()?;
        let Some((h, mime)) = seals(&session, key_id)?.pop() else {
            return Ok(None);
        };
        let value = session
            .get_attributes(h, &[AttributeType::Value])?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(v) => Some(v),
                _ => None,
            });
        Ok(value.map(|v| (v, mime)))
    }
}

/// `certdesk-seal <key id hex> <media type>`: the label ties the image to its key.
fn seal_label(key_id: &[u8], mime: &str) -> String {
    format!("certdesk-seal {} {mime}", hex::encode(key_id))
}

fn seals(session: &Session, key_id: &[u8]) -> Result<Vec<(ObjectHandle, String)>, TokenError> {
    let prefix = format!("certdesk-seal {} ", hex::encode(key_id));
    let mut out = Vec::new();
    for h in session.find_objects(&[
        Attribute::Class(ObjectClass::DATA),
        Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
    ])? {
        for a in session.get_attributes(h, &[AttributeType::Label])? {
            if let Attribute::Label(l) = a {
                let l = String::from_utf8_lossy(&l).into_owned();
                if let Some(mime) = l.strip_prefix(&prefix) {
                    out.push((h, mime.to_string()));
                }
            }
        }
    }
    Ok(out)
}

fn cert_template(
    der: &[u8],
    parsed: &Parsed,
    label: &str,
    id: &[u8],
    category_value: u64,
) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
        Attribute::Subject(parsed.subject_der.clone()),
        Attribute::Issuer(parsed.issuer_der.clone()),
        Attribute::SerialNumber(parsed.serial_der.clone()),
        Attribute::Value(der.to_vec()),
        category(category_value),
    ]
}

/// A CA certificate's CKA_ID: the first 20 bytes of SHA-256 of its DER, so the same
/// certificate always gets the same id.
fn ca_id(der: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref()[..20].to_vec()
}

/// Whether two `SubjectPublicKeyInfo`s hold the same key (the encodings of the algorithm
/// parameters may differ between tools; the key bits may not).
fn same_key(a: &[u8], b: &[u8]) -> bool {
    use x509_parser::prelude::FromDer;
    use x509_parser::x509::SubjectPublicKeyInfo;
    if a == b {
        return true;
    }
    match (
        SubjectPublicKeyInfo::from_der(a),
        SubjectPublicKeyInfo::from_der(b),
    ) {
        (Ok((_, a)), Ok((_, b))) => {
            a.algorithm.algorithm == b.algorithm.algorithm
                && a.subject_public_key.data == b.subject_public_key.data
        }
        _ => false,
    }
}
