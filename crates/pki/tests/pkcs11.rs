//! CA keys in SoftHSM2. SoftHSM reads its configuration from `SOFTHSM2_CONF`, which is
//! process-wide and cannot be set without `unsafe` in edition 2024: each test therefore
//! writes its own configuration and token directory, then re-runs itself as a child
//! process with that environment. These tests fail (they do not skip) when SoftHSM2 is
//! missing: `scripts/test.sh` installs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use domain::application::CertType;
use pki::{KeyAlgorithm, Pkcs11Config, Pkcs11Error, Pkcs11Key, Signer, SoftKey, certificate_pem};
use support::*;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const CHILD: &str = "CERTDESK_PKI_SOFTHSM_CHILD";
const PIN: &str = "123456";

/// In the parent: make a token, re-run `test` in a child with `SOFTHSM2_CONF`, expect success.
/// In the child: returns the token directory, and the test does its work.
fn in_softhsm(test: &str) -> Option<PathBuf> {
    if let Ok(dir) = std::env::var(CHILD) {
        return Some(PathBuf::from(dir));
    }
    assert!(
        Path::new(MODULE).exists(),
        "SoftHSM2 is not installed ({MODULE}): apt-get install softhsm2"
    );
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = write(
        dir.path(),
        "softhsm2.conf",
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        )
        .as_bytes(),
    );
    let init = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "certdesk-ca",
            "--pin",
            PIN,
            "--so-pin",
            "12345678",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util must be installed (apt-get install softhsm2)");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(
        child.status.success() && out.contains("1 passed"),
        "child test failed:\n{out}"
    );
    None
}

fn config(key_label: &str) -> Pkcs11Config {
    Pkcs11Config {
        module: MODULE.into(),
        token_label: "certdesk-ca".into(),
        pin: PIN.into(),
        key_label: key_label.into(),
    }
}

#[test]
fn issuing_key_in_token_issues_what_openssl_verifies() {
    let Some(_tokens) = in_softhsm("issuing_key_in_token_issues_what_openssl_verifies") else {
        return;
    };
    let issuing: Arc<dyn Signer> = Arc::new(Pkcs11Key::generate(&config("issuing")).unwrap());
    let root: Arc<dyn Signer> = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
    let ca = ca_with_keys(KeyAlgorithm::EcdsaP256, root, issuing.clone());
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let cert = ca.issue(CertType::OrgMaster, &key.public_key().unwrap());
    let leaf = write(ca.dir.path(), "leaf.pem", cert.to_pem().as_bytes());
    let out = ca.openssl_verify(&leaf);
    assert!(out.contains(": OK"), "{out}");

    // The key survives a reopen by label and still matches the certificate.
    drop(ca);
    let reopened = Pkcs11Key::open(&config("issuing")).unwrap();
    assert_eq!(reopened.public_key_der(), issuing.public_key_der());
    assert!(matches!(
        Pkcs11Key::generate(&config("issuing")),
        Err(Pkcs11Error::KeyExists(_))
    ));
    assert!(matches!(
        Pkcs11Key::open(&config("nothing here")),
        Err(Pkcs11Error::KeyNotFound(_))
    ));
}

#[test]
fn both_ca_keys_in_token() {
    let Some(_tokens) = in_softhsm("both_ca_keys_in_token") else {
        return;
    };
    let root: Arc<dyn Signer> = Arc::new(Pkcs11Key::open_or_generate(&config("root")).unwrap());
    let issuing: Arc<dyn Signer> =
        Arc::new(Pkcs11Key::open_or_generate(&config("issuing")).unwrap());
    let ca = ca_with_keys(KeyAlgorithm::EcdsaP256, root, issuing);
    let (responder, _) = ca.responder();
    let responder = write(
        ca.dir.path(),
        "responder.pem",
        certificate_pem(&responder).as_bytes(),
    );
    let out = ca.openssl_verify(&responder);
    assert!(out.contains(": OK"), "{out}");
    let findings = pkilint_cert(&ca.issuing_pem);
    println!("{findings:?}");
}

#[test]
fn the_private_key_stays_in_the_token() {
    let Some(_tokens) = in_softhsm("the_private_key_stays_in_the_token") else {
        return;
    };
    let key = Pkcs11Key::generate(&config("ca")).unwrap();
    // Ask the token itself, through a second handle on the module.
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::object::{Attribute, AttributeType, ObjectClass};
    use cryptoki::session::UserType;
    let ctx = Pkcs11::new(MODULE).unwrap();
    let _already = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
    let session = ctx.open_ro_session(slot).unwrap();
    let _already_logged_in = session.login(UserType::User, Some(&PIN.to_string().into()));
    let private = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(b"ca".to_vec()),
        ])
        .unwrap();
    assert_eq!(private.len(), 1);
    let attrs = session
        .get_attributes(
            private[0],
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::Token,
            ],
        )
        .unwrap();
    assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Token(true)), "{attrs:?}");
    // And it signs: a P-256 signature that aws-lc-rs verifies.
    let sig = key.sign(b"to be signed").unwrap();
    let spki = key.public_key_der();
    let point = &spki[spki.len() - 65..];
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        point,
    )
    .verify(b"to be signed", &sig)
    .unwrap();
}

#[test]
fn wrong_pin_and_unknown_token_are_clear_errors() {
    let Some(_tokens) = in_softhsm("wrong_pin_and_unknown_token_are_clear_errors") else {
        return;
    };
    let mut c = config("ca");
    c.pin = "000000".into();
    assert!(matches!(
        Pkcs11Key::open_or_generate(&c),
        Err(Pkcs11Error::WrongPin(_))
    ));
    let mut c = config("ca");
    c.token_label = "no such token".into();
    assert!(matches!(
        Pkcs11Key::open(&c),
        Err(Pkcs11Error::TokenNotFound(_))
    ));
    let mut c = config("ca");
    c.module = "/nonexistent/libpkcs11.so".into();
    assert!(matches!(Pkcs11Key::open(&c), Err(Pkcs11Error::Module(..))));
}
