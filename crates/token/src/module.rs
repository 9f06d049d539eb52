//! Loading a PKCS#11 module, listing the tokens plugged in, opening one with its PIN.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::Serialize;

use crate::certificate::{CertificateInfo, KeyRef};
use crate::{Token, TokenError};

/// A PKCS#11 module (the USB key's driver library), loaded and initialised.
#[derive(Clone)]
pub struct Module {
    ctx: Pkcs11,
    path: PathBuf,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

/// A token (USB key) and the objects anyone may read without its PIN.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub slot: u64,
    pub label: String,
    /// The token's serial number (锁序列号).
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    /// Certificates on the token (public objects).
    pub certificates: Vec<CertificateInfo>,
    /// Public keys on the token: label and CKA_ID.
    pub public_keys: Vec<KeyRef>,
}

impl TokenInfo {
    /// How the token is named in messages: `label (serial)`.
    pub fn name(&self) -> String {
        format!("{} ({})", self.label, self.serial)
    }
}

impl Module {
    /// Loads and initialises a module, once per process and path: a second `C_Initialize`
    /// fails, and finalising one handle would pull the module from under the others.
    pub fn load(path: impl AsRef<Path>) -> Result<Module, TokenError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(TokenError::ModuleMissing(path.to_path_buf()));
        }
        static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
        let mut modules = MODULES
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| TokenError::Device("module table poisoned".into()))?;
        if let Some(ctx) = modules.get(path) {
            return Ok(Module {
                ctx: ctx.clone(),
                path: path.to_path_buf(),
            });
        }
        let not_pkcs11 = |e: CkError| TokenError::NotPkcs11(path.to_path_buf(), e.to_string());
        let ctx = Pkcs11::new(path).map_err(not_pkcs11)?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(not_pkcs11(e)),
        }
        modules.insert(path.to_path_buf(), ctx.clone());
        Ok(Module {
            ctx,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every token plugged in, with its public certificates and public keys (no login).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, TokenError> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_initialized_token()? {
            out.push(self.token_info(slot, true)?);
        }
        Ok(out)
    }

    fn token_info(&self, slot: Slot, objects: bool) -> Result<TokenInfo, TokenError> {
        let info = self.ctx.get_token_info(slot)?;
        let mut t = TokenInfo {
            slot: slot.id(),
            label: info.label().trim_end().to_string(),
            serial: info.serial_number().trim_end().to_string(),
            manufacturer: info.manufacturer_id().trim_end().to_string(),
            model: info.model().trim_end().to_string(),
            certificates: Vec::new(),
            public_keys: Vec::new(),
        };
        if objects {
            let session = self.ctx.open_ro_session(slot)?;
            t.certificates = crate::certificate::list(&session)?;
            t.public_keys = public_keys(&session)?;
        }
        Ok(t)
    }

    /// Opens a token and logs in as its user. `selector` is the token's serial number or
    /// label; `None` means the only token plugged in.
    pub fn open(&self, selector: Option<&str>, pin: &str) -> Result<Token, TokenError> {
        let mut infos = Vec::new();
        for slot in self.ctx.get_slots_with_initialized_token()? {
            infos.push((slot, self.token_info(slot, false)?));
        }
        let names = || infos.iter().map(|(_, i)| i.name()).collect::<Vec<_>>();
        let (slot, info) = match selector {
            None => match infos.len() {
                0 => return Err(TokenError::NoToken),
                1 => infos[0].clone(),
                _ => return Err(TokenError::SeveralTokens(names())),
            },
            Some(wanted) => {
                let found = infos
                    .iter()
                    .find(|(_, i)| i.serial == wanted)
                    .or_else(|| infos.iter().find(|(_, i)| i.label == wanted));
                match found {
                    Some(f) => f.clone(),
                    None if infos.is_empty() => return Err(TokenError::NoToken),
                    None => {
                        return Err(TokenError::TokenNotFound {
                            wanted: wanted.to_string(),
                            present: names(),
                        });
                    }
                }
            }
        };
        let session = self.ctx.open_rw_session(slot)?;
        match session.login(UserType::User, Some(&AuthPin::new(pin.into()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(
                RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid,
                _,
            )) => return Err(TokenError::WrongPin(info.name())),
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                return Err(TokenError::PinLocked(info.name()));
            }
            Err(e) => return Err(e.into()),
        }
        let mechanisms = self.ctx.get_mechanism_list(slot)?;
        Ok(Token::new(
            self.clone(),
            info,
            Arc::new(Mutex::new(session)),
            mechanisms,
        ))
    }
}

fn public_keys(session: &Session) -> Result<Vec<KeyRef>, TokenError> {
    let handles = session.find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY)])?;
    let mut out = Vec::new();
    for h in handles {
        out.push(key_ref(session, h)?);
    }
    Ok(out)
}

/// Label and CKA_ID of an object.
pub(crate) fn key_ref(session: &Session, h: ObjectHandle) -> Result<KeyRef, TokenError> {
    let mut r = KeyRef {
        label: String::new(),
        id: String::new(),
    };
    for a in session.get_attributes(h, &[AttributeType::Label, AttributeType::Id])? {
        match a {
            Attribute::Label(l) => r.label = String::from_utf8_lossy(&l).into_owned(),
            Attribute::Id(i) => r.id = hex::encode(i),
            _ => {}
        }
    }
    Ok(r)
}
