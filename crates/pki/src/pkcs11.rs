//! CA keys in a PKCS#11 token (an HSM; SoftHSM2 in tests).
//!
//! P-256 only: the key pair is generated inside the token with a non-extractable private
//! key, or an existing one is used by label. Signing hashes on the host and asks the token
//! for `CKM_ECDSA` (SoftHSM has no `CKM_ECDSA_SHA256`), then turns the raw `r‖s` into DER.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

use crate::asn1::{self, OCTET_STRING};
use crate::oid;
use crate::signer::{SignError, SignatureAlgorithm, Signer, ecdsa_raw_to_der};

/// Why a token key could not be opened or created.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    #[error("cannot load PKCS#11 module {0}: {1}")]
    Module(PathBuf, String),
    #[error("no token labelled {0:?}")]
    TokenNotFound(String),
    #[error("wrong PIN for token {0:?}")]
    WrongPin(String),
    #[error("no key labelled {0:?} in the token")]
    KeyNotFound(String),
    #[error("a key labelled {0:?} already exists in the token")]
    KeyExists(String),
    #[error("the key labelled {0:?} is not a P-256 key")]
    Unsupported(String),
    #[error("PKCS#11: {0}")]
    Token(String),
}

impl From<CkError> for Pkcs11Error {
    fn from(e: CkError) -> Self {
        Pkcs11Error::Token(e.to_string())
    }
}

/// Where the key is: module, token, PIN, key label.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    pub token_label: String,
    pub pin: String,
    pub key_label: String,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

/// A module is loaded and initialised once per process: a second `C_Initialize` fails, and
/// finalising one handle would pull the module from under the others.
fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut modules = MODULES
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| Pkcs11Error::Token("module table poisoned".into()))?;
    if let Some(m) = modules.get(path) {
        return Ok(m.clone());
    }
    let ctx =
        Pkcs11::new(path).map_err(|e| Pkcs11Error::Module(path.to_path_buf(), e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(Pkcs11Error::Module(path.to_path_buf(), e.to_string())),
    }
    modules.insert(path.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// A P-256 key in a PKCS#11 token.
pub struct Pkcs11Key {
    // Field order is drop order: the session closes before the module handle goes.
    session: Mutex<Session>,
    key: ObjectHandle,
    spki: Vec<u8>,
    _module: Pkcs11,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Key").finish_non_exhaustive()
    }
}

fn login(config: &Pkcs11Config) -> Result<(Pkcs11, Session), Pkcs11Error> {
    let ctx = module(&config.module)?;
    let mut found = None;
    for slot in ctx.get_slots_with_initialized_token()? {
        if ctx.get_token_info(slot)?.label().trim_end() == config.token_label {
            found = Some(slot);
            break;
        }
    }
    let slot = found.ok_or_else(|| Pkcs11Error::TokenNotFound(config.token_label.clone()))?;
    let session = ctx.open_rw_session(slot)?;
    match session.login(
        UserType::User,
        Some(&AuthPin::new(config.pin.clone().into())),
    ) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(CkError::Pkcs11(
            RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid,
            _,
        )) => {
            return Err(Pkcs11Error::WrongPin(config.token_label.clone()));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((ctx, session))
}

fn find(
    session: &Session,
    class: ObjectClass,
    label: &str,
) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let found = session.find_objects(&[
        Attribute::Class(class),
        Attribute::Label(label.as_bytes().to_vec()),
    ])?;
    Ok(found.first().copied())
}

/// SoftHSM (and the standard) wrap `CKA_EC_POINT` in a DER OCTET STRING; some tokens do not.
fn unwrap_ec_point(value: &[u8]) -> Option<&[u8]> {
    if value.len() == 65 && value[0] == 0x04 {
        return Some(value);
    }
    let inner = asn1::read_single(value, OCTET_STRING, "EC point")
        .ok()?
        .value;
    (inner.len() == 65 && inner[0] == 0x04).then_some(inner)
}

impl Pkcs11Key {
    /// Opens an existing key pair by label.
    pub fn open(config: &Pkcs11Config) -> Result<Pkcs11Key, Pkcs11Error> {
        let (ctx, session) = login(config)?;
        let key = find(&session, ObjectClass::PRIVATE_KEY, &config.key_label)?
            .ok_or_else(|| Pkcs11Error::KeyNotFound(config.key_label.clone()))?;
        let public =
            find(&session, ObjectClass::PUBLIC_KEY, &config.key_label)?.ok_or_else(|| {
                Pkcs11Error::KeyNotFound(format!("{} (public key)", config.key_label))
            })?;
        let unsupported = || Pkcs11Error::Unsupported(config.key_label.clone());
        let mut params = None;
        let mut point = None;
        for attr in
            session.get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])?
        {
            match attr {
                Attribute::EcParams(p) => params = Some(p),
                Attribute::EcPoint(p) => point = Some(p),
                _ => {}
            }
        }
        if params.as_deref() != Some(oid::P256) {
            return Err(unsupported());
        }
        let point = point.ok_or_else(unsupported)?;
        let point = unwrap_ec_point(&point).ok_or_else(unsupported)?;
        let alg = asn1::seq(&[oid::EC_PUBLIC_KEY, oid::P256]);
        let spki = asn1::seq(&[&alg, &asn1::bit_string(point)]);
        Ok(Pkcs11Key {
            session: Mutex::new(session),
            key,
            spki,
            _module: ctx,
        })
    }

    /// Generates a P-256 key pair in the token: the private key sensitive and
    /// non-extractable, both objects persistent under `key_label`.
    pub fn generate(config: &Pkcs11Config) -> Result<Pkcs11Key, Pkcs11Error> {
        {
            let (_ctx, session) = login(config)?;
            if find(&session, ObjectClass::PRIVATE_KEY, &config.key_label)?.is_some() {
                return Err(Pkcs11Error::KeyExists(config.key_label.clone()));
            }
            let mut id = [0u8; 16];
            aws_lc_rs::rand::fill(&mut id).map_err(|_| Pkcs11Error::Token("random id".into()))?;
            let label = config.key_label.as_bytes().to_vec();
            let public = [
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::KeyType(KeyType::EC),
                Attribute::EcParams(oid::P256.to_vec()),
                Attribute::Verify(true),
                Attribute::Label(label.clone()),
                Attribute::Id(id.to_vec()),
            ];
            let private = [
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::KeyType(KeyType::EC),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Sign(true),
                Attribute::Label(label),
                Attribute::Id(id.to_vec()),
            ];
            session.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)?;
        }
        Pkcs11Key::open(config)
    }

    /// Opens the key if it exists, else generates it.
    pub fn open_or_generate(config: &Pkcs11Config) -> Result<Pkcs11Key, Pkcs11Error> {
        match Pkcs11Key::open(config) {
            Err(Pkcs11Error::KeyNotFound(_)) => Pkcs11Key::generate(config),
            other => other,
        }
    }
}

impl Signer for Pkcs11Key {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaSha256
    }

    fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, tbs);
        let session = self
            .session
            .lock()
            .map_err(|_| SignError("token session poisoned".into()))?;
        let raw = session
            .sign(&Mechanism::Ecdsa, self.key, digest.as_ref())
            .map_err(|e| SignError(format!("PKCS#11: {e}")))?;
        ecdsa_raw_to_der(&raw)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ec_points_unwrap() {
        let mut raw = vec![0x04; 65];
        raw[1] = 7;
        assert_eq!(super::unwrap_ec_point(&raw), Some(&raw[..]));
        let wrapped = crate::asn1::octet_string(&raw);
        assert_eq!(super::unwrap_ec_point(&wrapped), Some(&raw[..]));
        assert_eq!(super::unwrap_ec_point(&[0x04, 0x01, 0x04]), None);
    }
}
