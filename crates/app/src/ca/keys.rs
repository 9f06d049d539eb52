//! Where the CA's keys are kept, and how they are made and opened.

use std::path::PathBuf;
use std::sync::Arc;

use pki::{KeyAlgorithm, Pkcs11Config, Pkcs11Key, Signer, SoftKey};
use store::ca::KeyStorage;
use zeroize::Zeroizing;

use super::LoadError;

/// How the CA keys are kept. The passphrase and the PIN never reach a log (`Debug` hides them).
#[derive(Clone)]
pub enum KeySource {
    /// Encrypted PKCS#8 PEM in the database, opened with this passphrase.
    File {
        passphrase: Zeroizing<String>,
        /// PBKDF2 iterations for keys written from now on ([`pki::PBKDF2_ITERATIONS`]; tests
        /// lower it). Keys are read with the count they were written with.
        kdf_iterations: u32,
    },
    /// In a PKCS#11 token (P-256 only).
    Pkcs11 {
        module: PathBuf,
        token_label: String,
        pin: Zeroizing<String>,
    },
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File { kdf_iterations, .. } => f
                .debug_struct("File")
                .field("kdf_iterations", kdf_iterations)
                .finish_non_exhaustive(),
            KeySource::Pkcs11 {
                module,
                token_label,
                ..
            } => f
                .debug_struct("Pkcs11")
                .field("module", module)
                .field("token_label", token_label)
                .finish_non_exhaustive(),
        }
    }
}

impl KeySource {
    /// Keys in the database under `passphrase`, written with the production iteration count.
    pub fn file(passphrase: Zeroizing<String>) -> KeySource {
        KeySource::File {
            passphrase,
            kdf_iterations: pki::PBKDF2_ITERATIONS,
        }
    }

    fn pkcs11_config(&self, label: &str) -> Option<Pkcs11Config> {
        match self {
            KeySource::Pkcs11 {
                module,
                token_label,
                pin,
            } => Some(Pkcs11Config {
                module: module.clone(),
                token_label: token_label.clone(),
                pin: pin.to_string(),
                key_label: label.to_owned(),
            }),
            KeySource::File { .. } => None,
        }
    }

    /// Makes a new key, kept the way this source keeps keys; `label` names it in a token.
    /// Blocking (key generation, PBKDF2): call from `spawn_blocking`.
    pub(crate) fn generate(
        &self,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<(Arc<dyn Signer>, KeyStorage), String> {
        match self {
            KeySource::File {
                passphrase,
                kdf_iterations,
            } => {
                let key = SoftKey::generate(algorithm).map_err(|e| e.to_string())?;
                let pem = key
                    .to_encrypted_pem_with_iterations(passphrase, *kdf_iterations)
                    .map_err(|e| e.to_string())?;
                Ok((
                    Arc::new(key),
                    KeyStorage::File {
                        encrypted_pem: pem.to_string(),
                    },
                ))
            }
            KeySource::Pkcs11 { .. } => {
                if algorithm != KeyAlgorithm::EcdsaP256 {
                    return Err("PKCS#11 keys are P-256 only".into());
                }
                let config = self.pkcs11_config(label).ok_or("not a token")?;
                let key = Pkcs11Key::generate(&config).map_err(|e| e.to_string())?;
                Ok((
                    Arc::new(key),
                    KeyStorage::Pkcs11 {
                        label: label.to_owned(),
                    },
                ))
            }
        }
    }

    /// Opens a stored key. Blocking (PBKDF2, token login): call from `spawn_blocking`.
    pub(crate) fn open(&self, stored: &KeyStorage) -> Result<Arc<dyn Signer>, LoadError> {
        match (self, stored) {
            (KeySource::File { passphrase, .. }, KeyStorage::File { encrypted_pem }) => {
                match SoftKey::from_encrypted_pem(encrypted_pem, passphrase) {
                    Ok(key) => Ok(Arc::new(key)),
                    Err(pki::KeyError::WrongPassphrase) => Err(LoadError::WrongPassphrase),
                    Err(e) => Err(LoadError::Corrupt(format!("CA key: {e}"))),
                }
            }
            (KeySource::Pkcs11 { .. }, KeyStorage::Pkcs11 { label }) => {
                let config = self
                    .pkcs11_config(label)
                    .ok_or_else(|| LoadError::Corrupt("token".into()))?;
                Pkcs11Key::open(&config)
                    .map(|k| Arc::new(k) as Arc<dyn Signer>)
                    .map_err(LoadError::Pkcs11)
            }
            (KeySource::File { .. }, KeyStorage::Pkcs11 { .. }) => Err(LoadError::WantsToken),
            (KeySource::Pkcs11 { .. }, KeyStorage::File { .. }) => Err(LoadError::WantsPassphrase),
        }
    }
}

/// The name stored in `ca_authorities.algorithm`.
pub(crate) fn algorithm_name(a: KeyAlgorithm) -> &'static str {
    match a {
        KeyAlgorithm::EcdsaP256 => "ecdsa_p256",
        KeyAlgorithm::Rsa2048 => "rsa2048",
        KeyAlgorithm::Rsa3072 => "rsa3072",
        KeyAlgorithm::Sm2 => "sm2",
    }
}
