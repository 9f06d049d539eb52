//! Opening the stored CA: certificates from the database, keys decrypted or found in the token.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use store::ca::AuthorityRole;

use super::ocsp::{Cache, CurrentResponder};
use super::{Ca, KeySource, crl::PublishedCrl};
use crate::App;

/// Why the CA could not be opened. The messages name the settings to check.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no CA yet: run `certdesk ca init`")]
    NotInitialised,
    #[error(
        "wrong CA passphrase: check CERTDESK_CA__PASSPHRASE (or the file ca.passphrase_file names)"
    )]
    WrongPassphrase,
    #[error(
        "the CA keys are in a PKCS#11 token: set [ca.pkcs11] (module, token_label, pin or pin_file)"
    )]
    WantsToken,
    #[error(
        "the CA keys are encrypted files: set CERTDESK_CA__PASSPHRASE or ca.passphrase_file, not [ca.pkcs11]"
    )]
    WantsPassphrase,
    #[error("CA key in the PKCS#11 token (settings ca.pkcs11.*): {0}")]
    Pkcs11(pki::Pkcs11Error),
    #[error("the stored CA is not valid: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
}

/// Opens the CA stored in the app's database, for [`App::with_ca`].
pub async fn load(app: &App, keys: &KeySource) -> Result<Arc<Ca>, LoadError> {
    let now = app.now();
    let (root, issuing, responder, crl) = {
        let mut conn = app.store.conn().await?;
        let root = store::ca::authority(&mut conn, AuthorityRole::Root).await?;
        let issuing = store::ca::authority(&mut conn, AuthorityRole::Issuing).await?;
        let (Some(root), Some(issuing)) = (root, issuing) else {
            return Err(LoadError::NotInitialised);
        };
        let responder = store::ca::current_responder(&mut conn, issuing.id, now)
            .await?
            .ok_or_else(|| LoadError::Corrupt("no valid OCSP responder certificate".into()))?;
        let crl = store::ca::latest_crl(&mut conn, issuing.id)
            .await?
            .ok_or_else(|| LoadError::Corrupt("no CRL".into()))?;
        (root, issuing, responder, crl)
    };
    let keys = keys.clone();
    let (issuing_key, responder_key, keys) = tokio::task::spawn_blocking(move || {
        let i = keys.open(&issuing.key)?;
        let r = keys.open(&responder.key)?;
        Ok::<_, LoadError>((i, r, keys))
    })
    .await
    .map_err(|e| LoadError::Corrupt(format!("opening keys: {e}")))??;

    let bad = |e: pki::CertError| LoadError::Corrupt(e.to_string());
    let issuing_cert = pki::CaCertificate::from_der(&issuing.certificate).map_err(bad)?;
    let authority = pki::Authority::new(issuing_cert, issuing_key).map_err(bad)?;
    let issuer_ids = authority.issuer_ids().map_err(bad)?;
    let responder_signer =
        pki::ocsp::Responder::new(&responder.certificate, responder_key).map_err(bad)?;
    let chain_pem = format!(
        "{}{}",
        pki::certificate_pem(&issuing.certificate),
        pki::certificate_pem(&root.certificate)
    );
    let crl = PublishedCrl::from(crl);
    Ok(Arc::new(Ca {
        root_der: Bytes::from(root.certificate),
        issuing_id: issuing.id,
        issuing: authority,
        issuing_der: Bytes::from(issuing.certificate),
        chain_pem,
        issuer_ids,
        urls: pki::Urls::from_base(app.public_url()),
        keys,
        responder: RwLock::new(Arc::new(CurrentResponder {
            id: responder.id,
            responder: responder_signer,
            not_after: responder.not_after,
        })),
        revision: AtomicU64::new(crl.number),
        crl: RwLock::new(Arc::new(crl)),
        cache: Cache::default(),
    }))
}
