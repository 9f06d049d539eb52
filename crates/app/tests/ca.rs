//! The CA in the app: init once, load (a wrong passphrase says which setting to check),
//! CRLs numbered upwards, a second instance learning of a revocation, the daily work,
//! and keys in a PKCS#11 token (SoftHSM2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use app::ca::{CaAlgorithm, InitOptions, KeySource, LoadError};
use app::{Actor, App, Clock as _, ManualClock};
use domain::application::CertType;
use domain::ident::Uscc;
use jiff::SignedDuration;
use store::testing::TestDb;

fn keys(passphrase: &str) -> KeySource {
    KeySource::File {
        passphrase: passphrase.to_owned().into(),
        kdf_iterations: 1_000,
    }
}

async fn instance(db: &TestDb, clock: Arc<ManualClock>, blobs: &Path) -> App {
    let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
        dir: blobs.to_path_buf(),
    }))
    .await
    .unwrap();
    App::new(db.store().await, blobs, "http://certdesk.test").with_clock(clock)
}

fn uscc(n: u32) -> Uscc {
    let first17 = format!("91330100{n:09}");
    Uscc::parse(&format!("{first17}{}", Uscc::check_char(&first17).unwrap())).unwrap()
}

fn request(app_now: jiff::Timestamp, n: u32) -> app::ca::IssueRequest {
    let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256).unwrap();
    app::ca::IssueRequest {
        subject: pki::SubjectData {
            organisation: Some(pki::Organisation {
                name: format!("测试单位{n}"),
                code: domain::organisation::CreditCode::Uscc(uscc(n)),
            }),
            ..pki::SubjectData::default()
        },
        cert_type: CertType::OrgMaster,
        not_before: app_now,
        not_after: app_now + SignedDuration::from_hours(24 * 365),
        public_key: key.public_key().unwrap(),
        application: None,
        organisation: None,
        holder: None,
        token_serial: None,
        replaces: None,
    }
}

/// The certificate status an OCSP answer gives, as `openssl ocsp -respin` reads it.
fn status_of(ca: &app::ca::Ca, dir: &Path, serial: &str, response: &[u8]) -> String {
    std::fs::write(dir.join("issuing.der"), ca.issuing_der()).unwrap();
    std::fs::write(dir.join("resp.der"), response).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        "issuing.der",
        "-out",
        "issuing.pem",
    ]);
    let out = run(&[
        "ocsp",
        "-respin",
        "resp.der",
        "-noverify",
        "-issuer",
        "issuing.pem",
        "-serial",
        &format!("0x{serial}"),
    ]);
    // After "0x…:" comes the status, or (when the test's clock ran ahead of openssl's)
    // a warning about the times and the status on the next line.
    ["good", "revoked", "unknown"]
        .into_iter()
        .find(|w| out.contains(&format!("0x{serial}: {w}")) || out.lines().any(|l| l.trim() == *w))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}

/// An OCSP request about one serial, written by openssl.
fn ocsp_request(ca: &app::ca::Ca, dir: &Path, serial: &str) -> Vec<u8> {
    std::fs::write(dir.join("issuing.der"), ca.issuing_der()).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        "issuing.der",
        "-out",
        "issuing.pem",
    ]);
    run(&[
        "ocsp",
        "-issuer",
        "issuing.pem",
        "-serial",
        &format!("0x{serial}"),
        "-no_nonce",
        "-reqout",
        "req.der",
    ]);
    std::fs::read(dir.join("req.der")).unwrap()
}

#[tokio::test]
async fn init_once_load_with_the_right_passphrase_and_crls_number_upwards() {
    let db = TestDb::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let app = instance(&db, clock.clone(), tmp.path()).await;
    let admin = Actor::system();

    // Without a CA: loading says to run `ca init`, the CA functions refuse.
    assert!(matches!(
        app::ca::load(&app, &keys("a")).await,
        Err(LoadError::NotInitialised)
    ));
    assert!(app.ca().is_none());
    let e = app::ca::respond(&app, &[0x30, 0]).await.unwrap_err();
    assert!(
        matches!(e, app::Error::Refused("ca.not_initialised")),
        "{e:?}"
    );

    let made = app::ca::init(&app, &admin, &keys("right"), &InitOptions::default())
        .await
        .unwrap();
    assert_eq!(made.algorithm, CaAlgorithm::P256);
    let again = app::ca::init(&app, &admin, &keys("right"), &InitOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(again, app::Error::Refused("ca.exists")),
        "{again:?}"
    );

    let wrong = app::ca::load(&app, &keys("wrong")).await.unwrap_err();
    assert!(matches!(wrong, LoadError::WrongPassphrase), "{wrong:?}");
    assert!(
        wrong.to_string().contains("CERTDESK_CA__PASSPHRASE"),
        "{wrong}"
    );
    let token = KeySource::Pkcs11 {
        module: "/usr/lib/softhsm/libsofthsm2.so".into(),
        token_label: "x".into(),
        pin: "1".to_owned().into(),
    };
    assert!(matches!(
        app::ca::load(&app, &token).await,
        Err(LoadError::WantsPassphrase)
    ));

    let ca = app::ca::load(&app, &keys("right")).await.unwrap();
    let app = app.with_ca(ca.clone());
    assert_eq!(ca.crl().number, 1);

    // Each revocation publishes the next CRL; so does the daily work, once a day.
    let issued = app::ca::issue(&app, &admin, &request(clock.now(), 1))
        .await
        .unwrap();
    app::ca::revoke(
        &app,
        &admin,
        &issued.serial,
        pki::RevocationReason::CessationOfOperation,
    )
    .await
    .unwrap();
    assert_eq!(ca.crl().number, 2);
    assert_eq!(
        app::housekeeping::maintain_ca(&app).await.unwrap().crl,
        None
    );
    clock.advance(SignedDuration::from_hours(25));
    let done = app::housekeeping::maintain_ca(&app).await.unwrap();
    assert_eq!(done.crl, Some(3));
    assert!(!done.responder_renewed);
    assert_eq!(ca.crl().number, 3);
    assert_eq!(app::ca::crl::regenerate(&app, &admin).await.unwrap(), 4);

    // The responder certificate is replaced a month before it ends, and answers go on.
    clock.advance(SignedDuration::from_hours(61 * 24));
    let done = app::housekeeping::maintain_ca(&app).await.unwrap();
    assert!(done.responder_renewed);
    let dir = tmp.path();
    let answer = app::ca::respond(&app, &ocsp_request(&ca, dir, &issued.serial))
        .await
        .unwrap();
    assert_eq!(status_of(&ca, dir, &issued.serial, &answer.der), "revoked");
}

#[tokio::test]
async fn a_revocation_in_one_instance_reaches_the_other_within_seconds() {
    let db = TestDb::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let a = instance(&db, clock.clone(), tmp.path()).await;
    let b = instance(&db, clock.clone(), tmp.path()).await;
    let admin = Actor::system();
    app::ca::init(&a, &admin, &keys("pw"), &InitOptions::default())
        .await
        .unwrap();
    let a = a
        .clone()
        .with_ca(app::ca::load(&a, &keys("pw")).await.unwrap());
    let b_ca = app::ca::load(&b, &keys("pw")).await.unwrap();
    let b = b.with_ca(b_ca.clone());
    let watcher = tokio::spawn(app::ca::watch::watch(b.clone(), Duration::from_millis(500)));

    let issued = app::ca::issue(&a, &admin, &request(clock.now(), 7))
        .await
        .unwrap();
    let dir = tmp.path();
    let req = ocsp_request(&b_ca, dir, &issued.serial);
    // B answers good, and keeps that answer.
    let first = app::ca::respond(&b, &req).await.unwrap();
    assert_eq!(status_of(&b_ca, dir, &issued.serial, &first.der), "good");
    let cached = app::ca::respond(&b, &req).await.unwrap();
    assert_eq!(
        cached.der, first.der,
        "the second answer comes from the cache"
    );

    app::ca::revoke(
        &a,
        &admin,
        &issued.serial,
        pki::RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    loop {
        let now = app::ca::respond(&b, &req).await.unwrap();
        if status_of(&b_ca, dir, &issued.serial, &now.der) == "revoked" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "instance B still says good"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b_ca.crl().number, 2, "B serves the new CRL too");
    watcher.abort();
}

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const CHILD: &str = "CERTDESK_APP_SOFTHSM_CHILD";
const PIN: &str = "123456";

/// SoftHSM reads `SOFTHSM2_CONF`, process-wide: as in `crates/pki/tests/pkcs11.rs`, the
/// parent makes a token and re-runs the test in a child process with that environment.
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
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
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

#[tokio::test]
async fn a_ca_with_its_keys_in_a_pkcs11_token() {
    let Some(dir) = in_softhsm("a_ca_with_its_keys_in_a_pkcs11_token") else {
        return;
    };
    let db = TestDb::new().await;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let app = instance(&db, clock.clone(), &dir).await;
    let admin = Actor::system();
    let token = |pin: &str| KeySource::Pkcs11 {
        module: MODULE.into(),
        token_label: "certdesk-ca".into(),
        pin: pin.to_owned().into(),
    };
    let rsa = InitOptions {
        algorithm: CaAlgorithm::Rsa3072,
        ..InitOptions::default()
    };
    let e = app::ca::init(&app, &admin, &token(PIN), &rsa)
        .await
        .unwrap_err();
    assert!(
        matches!(e, app::Error::Refused("ca.pkcs11_p256_only")),
        "{e:?}"
    );
    app::ca::init(&app, &admin, &token(PIN), &InitOptions::default())
        .await
        .unwrap();
    let wrong = app::ca::load(&app, &token("000000")).await.unwrap_err();
    assert!(matches!(wrong, LoadError::Pkcs11(_)), "{wrong:?}");
    assert!(wrong.to_string().contains("ca.pkcs11"), "{wrong}");
    assert!(matches!(
        app::ca::load(&app, &keys("x")).await,
        Err(LoadError::WantsToken)
    ));
    let ca = app::ca::load(&app, &token(PIN)).await.unwrap();
    let app = app.with_ca(ca.clone());

    let issued = app::ca::issue(&app, &admin, &request(clock.now(), 3))
        .await
        .unwrap();
    std::fs::write(dir.join("root.der"), ca.root_der()).unwrap();
    std::fs::write(dir.join("issuing.der"), ca.issuing_der()).unwrap();
    std::fs::write(dir.join("leaf.pem"), issued.to_pem()).unwrap();
    for f in ["root", "issuing"] {
        let out = Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-in",
                &format!("{f}.der"),
                "-out",
                &format!("{f}.pem"),
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let out = Command::new("openssl")
        .args([
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "issuing.pem",
            "leaf.pem",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(": OK"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The responder key is in the token too, and answers.
    let answer = app::ca::respond(&app, &ocsp_request(&ca, &dir, &issued.serial))
        .await
        .unwrap();
    assert_eq!(status_of(&ca, &dir, &issued.serial, &answer.der), "good");
}
