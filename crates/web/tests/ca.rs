//! The CA over HTTP, checked by OpenSSL: certificates issued from openssl-made CSRs verify
//! against the published root and issuing CA, the CRL lists what was revoked with its
//! reason, OCSP (POST and GET) answers good / revoked / unknown and changes at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use app::Clock as _;
use base64::Engine as _;
use domain::account::Role;
use domain::application::CertType;
use domain::ident::Uscc;
use domain::ids::OrganisationId;
use jiff::{SignedDuration, Timestamp};
use testkit::openssl::run as openssl;
use testkit::{OrgFixture, TestApp};

/// A key and a CSR (DER) made by openssl: `ec` (P-256), `rsa` (2048) or `sm2`.
fn csr(dir: &Path, name: &str, kind: &str) -> Vec<u8> {
    let key = format!("{name}.key");
    match kind {
        "ec" => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
        ),
        "rsa" => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ],
        ),
        _ => openssl(dir, &["genpkey", "-algorithm", "SM2", "-out", &key]),
    };
    let mut args = vec![
        "req",
        "-new",
        "-key",
        &key,
        "-subj",
        "/CN=ignored",
        "-outform",
        "DER",
    ];
    let out = format!("{name}.csr");
    args.extend(["-out", &out]);
    if kind == "sm2" {
        args.push("-sm3");
    }
    openssl(dir, &args);
    std::fs::read(dir.join(out)).unwrap()
}

fn request(org: &OrgFixture, csr_der: &[u8], now: Timestamp) -> app::ca::IssueRequest {
    let csr = pki::Csr::parse(csr_der).unwrap();
    app::ca::IssueRequest {
        subject: pki::SubjectData {
            organisation: Some(pki::Organisation {
                name: org.name.clone(),
                code: domain::organisation::CreditCode::Uscc(Uscc::parse(&org.uscc).unwrap()),
            }),
            ..pki::SubjectData::default()
        },
        cert_type: CertType::OrgMaster,
        not_before: now,
        not_after: now + SignedDuration::from_hours(24 * 365),
        public_key: csr.public_key().clone(),
        application: None,
        organisation: Some(OrganisationId::parse(&org.id).unwrap()),
        holder: None,
        token_serial: None,
        replaces: None,
    }
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    reqwest::get(format!("{}{path}", app.url)).await.unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `openssl ocsp` against the running server (POST), verifying the response with the chain.
fn ocsp_post(app: &TestApp, dir: &Path, serial: &str) -> String {
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "issuing.pem",
            "-CAfile",
            "root.pem",
            "-verify_other",
            "issuing.pem",
            "-serial",
            &format!("0x{serial}"),
            "-url",
            &format!("{}/ocsp", app.url),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_over_http_as_openssl_sees_it() {
    let app = TestApp::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // The CA certificates, DER and a PEM chain.
    for (path, file) in [("/ca/root.crt", "root"), ("/ca/issuing.crt", "issuing")] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pkix-cert");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        write(dir, &format!("{file}.der"), &r.bytes().await.unwrap());
        openssl(
            dir,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                &format!("{file}.der"),
                "-out",
                &format!("{file}.pem"),
            ],
        );
    }
    let chain = get(&app, "/ca/chain.pem").await.text().await.unwrap();
    let issuing_pem = std::fs::read_to_string(dir.join("issuing.pem")).unwrap();
    let root_pem = std::fs::read_to_string(dir.join("root.pem")).unwrap();
    assert_eq!(chain, format!("{issuing_pem}{root_pem}"));
    let text = openssl(dir, &["x509", "-in", "root.pem", "-noout", "-subject"]);
    assert!(text.contains("CN = certdesk Root CA"), "{text}");

    // Certificates from openssl-made CSRs, issued by an operator.
    let org = app.register_org().await;
    let operator = app.actor(&app.staff(Role::Operator).await).await;
    let now = app.clock.now();
    let mut issued = Vec::new();
    for kind in ["ec", "rsa", "sm2"] {
        let der = csr(dir, kind, kind);
        let cert = app::ca::issue(&app.app, &operator, &request(&org, &der, now))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        // What was recorded is what was returned, and openssl accepts it.
        let stored = app::ca::certificate(&app.app, &operator, &cert.serial)
            .await
            .unwrap();
        assert_eq!(stored.der, cert.der, "{kind}");
        assert_eq!(
            stored.status,
            app::ca::certificates::CertificateStatus::Valid
        );
        write(dir, &format!("{kind}.crt"), &stored.der);
        let leaf = format!("{kind}.pem");
        openssl(
            dir,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                &format!("{kind}.crt"),
                "-out",
                &leaf,
            ],
        );
        let out = openssl(
            dir,
            &[
                "verify",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "issuing.pem",
                &leaf,
            ],
        );
        assert!(out.contains(": OK"), "{kind}: {out}");
        issued.push(cert);
    }
    let (ec, rsa, sm2) = (&issued[0], &issued[1], &issued[2]);
    assert!(ec.subject.contains(&org.name), "{}", ec.subject);

    // OCSP says good, by POST (openssl verifies the response and the responder's chain).
    let out = ocsp_post(&app, dir, &ec.serial);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains(": good"), "{out}");

    // Revoked for key compromise: the CRL lists it with the reason, OCSP says revoked.
    let revoked = app::ca::revoke(
        &app.app,
        &operator,
        &ec.serial,
        pki::RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    assert_eq!(revoked.crl_number, 2);
    let r = get(&app, "/crl/issuing.crl").await;
    assert_eq!(r.headers()["content-type"], "application/pkix-crl");
    write(dir, "issuing.crl", &r.bytes().await.unwrap());
    std::fs::write(dir.join("chain.pem"), &chain).unwrap();
    let out = openssl(
        dir,
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "issuing.crl",
            "-CAfile",
            "chain.pem",
            "-verify",
            "-noout",
            "-text",
        ],
    );
    assert!(out.contains("verify OK"), "{out}");
    assert!(
        out.contains(&format!("Serial Number: {}", ec.serial)),
        "{out}"
    );
    assert!(out.contains("Key Compromise"), "{out}");
    assert!(
        out.contains("X509v3 CRL Number: \n                2"),
        "{out}"
    );
    assert!(!out.contains(&rsa.serial), "{out}");

    let out = ocsp_post(&app, dir, &ec.serial);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains(": revoked"), "{out}");
    assert!(out.contains("Reason: keyCompromise"), "{out}");
    assert!(out.contains("Revocation Time:"), "{out}");

    // A serial never issued, under our issuer: unknown.
    let out = ocsp_post(&app, dir, "7E57AB1E5E41A1");
    assert!(out.contains(": unknown"), "{out}");

    // A CertID of another issuer (the root): unauthorized.
    let out = Command::new("openssl")
        .args([
            "ocsp",
            "-issuer",
            "root.pem",
            "-serial",
            "0x01",
            "-url",
            &format!("{}/ocsp", app.url),
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    let t = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.contains("Responder Error: unauthorized"), "{t}");

    // Several certificates in one request: signed on demand, the nonce echoed.
    let out = openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "issuing.pem",
            "-CAfile",
            "root.pem",
            "-verify_other",
            "issuing.pem",
            "-serial",
            &format!("0x{}", ec.serial),
            "-serial",
            &format!("0x{}", rsa.serial),
            "-url",
            &format!("{}/ocsp", app.url),
        ],
    );
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(!out.contains("WARNING: no nonce"), "{out}");
    assert!(out.contains(&format!("0x{}: revoked", ec.serial)), "{out}");
    assert!(out.contains(&format!("0x{}: good", rsa.serial)), "{out}");

    // GET (RFC 6960 appendix A): the same answers, with Cache-Control.
    for (serial, expect) in [(&ec.serial, ": revoked"), (&sm2.serial, ": good")] {
        openssl(
            dir,
            &[
                "ocsp",
                "-issuer",
                "issuing.pem",
                "-serial",
                &format!("0x{serial}"),
                "-no_nonce",
                "-reqout",
                "req.der",
            ],
        );
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(dir.join("req.der")).unwrap());
        // URL-encoded, except '/', which RFC 6960 clients often leave as it is.
        let path = b64.replace('+', "%2B").replace('=', "%3D");
        let r = get(&app, &format!("/ocsp/{path}")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/ocsp-response");
        let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.starts_with("max-age="), "{cache}");
        write(dir, "resp.der", &r.bytes().await.unwrap());
        let out = openssl(
            dir,
            &[
                "ocsp",
                "-respin",
                "resp.der",
                "-issuer",
                "issuing.pem",
                "-CAfile",
                "root.pem",
                "-verify_other",
                "issuing.pem",
                "-serial",
                &format!("0x{serial}"),
            ],
        );
        assert!(
            out.contains("Response verify OK") && out.contains(expect),
            "{out}"
        );
    }

    // Malformed: not DER, and not base64.
    let r = reqwest::Client::new()
        .post(format!("{}/ocsp", app.url))
        .header("content-type", "application/ocsp-request")
        .body(vec![0x30, 0x03, 0x02, 0x01])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        &[0x30, 0x03, 0x0a, 0x01, 0x01]
    );
    let r = get(&app, "/ocsp/not*base64").await;
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        &[0x30, 0x03, 0x0a, 0x01, 0x01]
    );
    write(dir, "bad.der", &[0x30, 0x03, 0x0a, 0x01, 0x01]);
    let out = Command::new("openssl")
        .args(["ocsp", "-respin", "bad.der", "-resp_text", "-noverify"])
        .current_dir(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.to_lowercase().contains("malformedrequest"), "{text}");

    // A revocation shows at once: good (now cached), revoked, revoked.
    assert!(ocsp_post(&app, dir, &rsa.serial).contains(": good"));
    app::ca::revoke(
        &app.app,
        &operator,
        &rsa.serial,
        pki::RevocationReason::Superseded,
    )
    .await
    .unwrap();
    let out = ocsp_post(&app, dir, &rsa.serial);
    assert!(
        out.contains(": revoked") && out.contains("Reason: superseded"),
        "{out}"
    );
    // Once only.
    let again = app::ca::revoke(
        &app.app,
        &operator,
        &rsa.serial,
        pki::RevocationReason::Superseded,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(again, app::Error::Refused("ca.already_revoked")),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_certified_for_one_subject_is_refused_for_another_and_applicants_cannot_issue() {
    let app = TestApp::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let org = app.register_org().await;
    let other = app.register_org().await;
    let operator = app.actor(&app.staff(Role::Operator).await).await;
    let now = app.clock.now();
    let der = csr(tmp.path(), "k", "ec");

    let first = app::ca::issue(&app.app, &operator, &request(&org, &der, now))
        .await
        .unwrap();
    // The same key and subject again (a renewal on the same key) is fine.
    app::ca::issue(&app.app, &operator, &request(&org, &der, now))
        .await
        .unwrap();
    assert_eq!(app::ca::count(&app.app, &operator).await.unwrap(), 2);
    let refused = app::ca::issue(&app.app, &operator, &request(&other, &der, now))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, app::Error::Refused("ca.key_in_use")),
        "{refused:?}"
    );
    assert_eq!(app::ca::count(&app.app, &operator).await.unwrap(), 2);

    // In one batch too: the second row sees the first.
    let fresh = csr(tmp.path(), "k2", "ec");
    let a = request(&org, &fresh, now);
    let b = request(&other, &fresh, now);
    let answers = app::ca::issue_many(&app.app, &[(&operator, &a), (&operator, &b)])
        .await
        .unwrap();
    assert!(answers[0].is_ok());
    assert!(matches!(
        answers[1],
        Err(app::Error::Refused("ca.key_in_use"))
    ));
    assert_eq!(app::ca::count(&app.app, &operator).await.unwrap(), 3);

    // Concurrently: one fresh key asked for by both organisations at once, eight times
    // each. Only one subject may end up certified on it, whoever came first.
    let raced = csr(tmp.path(), "k4", "ec");
    let mut tasks = Vec::new();
    for n in 0..16 {
        let owner = if n % 2 == 0 { &org } else { &other };
        let req = request(owner, &raced, now);
        let (a, op) = (app.app.clone(), operator.clone());
        tasks.push(tokio::spawn(
            async move { app::ca::issue(&a, &op, &req).await },
        ));
    }
    let mut subjects = std::collections::BTreeSet::new();
    let mut issued = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => {
                issued += 1;
                subjects.insert(c.subject);
            }
            Err(e) => assert!(matches!(e, app::Error::Refused("ca.key_in_use")), "{e:?}"),
        }
    }
    assert_eq!(subjects.len(), 1, "one subject on the key: {subjects:?}");
    assert_eq!(issued, 8, "every request of the winning subject is issued");
    assert_eq!(app::ca::count(&app.app, &operator).await.unwrap(), 11);

    // An applicant may neither issue nor revoke.
    let applicant = app.actor(&org.admin).await;
    let e = app::ca::issue(
        &app.app,
        &applicant,
        &request(&org, &csr(tmp.path(), "k3", "ec"), now),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::Error::Forbidden), "{e:?}");
    let e = app::ca::revoke(
        &app.app,
        &applicant,
        &first.serial,
        pki::RevocationReason::Unspecified,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::Error::Forbidden), "{e:?}");
    assert_eq!(app::ca::count(&app.app, &operator).await.unwrap(), 11);
    // A serial we never issued cannot be revoked.
    let e = app::ca::revoke(
        &app.app,
        &operator,
        "0BADC0DE",
        pki::RevocationReason::Unspecified,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::Error::NotFound), "{e:?}");
}
