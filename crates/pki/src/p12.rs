//! Soft certificates: a server-generated key with its certificate and chain, in a
//! password-protected PKCS#12 (PBES2 AES-256-CBC, HMAC-SHA256 MAC: what OpenSSL 3 reads).

use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};

use crate::soft_key::SoftKey;

/// Why a PKCS#12 could not be written.
#[derive(Debug, thiserror::Error)]
#[error("PKCS#12: {0}")]
pub struct P12Error(String);

/// Bundles `key`, its certificate and the chain (issuing CA, then root), DER each, under
/// `password`. `friendly_name` is what certificate stores show (e.g. the subject's name).
pub fn pkcs12(
    key: &SoftKey,
    certificate: &[u8],
    chain: &[&[u8]],
    password: &str,
    friendly_name: &str,
) -> Result<Vec<u8>, P12Error> {
    let err = |e: p12_keystore::error::Error| P12Error(e.to_string());
    let mut certs = Vec::with_capacity(1 + chain.len());
    for der in std::iter::once(certificate).chain(chain.iter().copied()) {
        certs.push(p12_keystore::Certificate::from_der(der).map_err(err)?);
    }
    let private = PrivateKey::from_der(&key.to_pkcs8_der()).map_err(err)?;
    let local_key_id =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate);
    let chain = PrivateKeyChain::new(local_key_id.as_ref().to_vec(), private, certs);
    let mut store = KeyStore::new();
    store.add_entry(friendly_name, KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(password).write().map_err(err)
}
