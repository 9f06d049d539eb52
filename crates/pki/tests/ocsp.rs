//! OCSP: openssl (as a client only) writes the requests and checks our responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use domain::application::CertType;
use jiff::{Timestamp, ToSpan};
use pki::ocsp::{
    self, CertStatus, HashAlgorithm, OcspError, OcspRequest, Responder, SingleResponse,
};
use pki::{KeyAlgorithm, RevocationReason, Serial, SoftKey, certificate_pem};
use support::*;

struct Setup {
    ca: TestCa,
    responder: Responder,
    responder_pem: std::path::PathBuf,
}

fn setup(algorithm: KeyAlgorithm) -> Setup {
    let ca = soft_ca(algorithm);
    let (cert, key) = ca.responder();
    let responder_pem = write(
        ca.dir.path(),
        "responder.pem",
        certificate_pem(&cert).as_bytes(),
    );
    let responder = Responder::new(&cert, key).unwrap();
    Setup {
        ca,
        responder,
        responder_pem,
    }
}

fn request(s: &Setup, name: &str, serial: Serial, extra: &[&str]) -> Vec<u8> {
    let path = s.ca.path(&format!("{name}.req"));
    let serial = format!("0x{}", serial.to_hex());
    // openssl wants the CertID digest before -serial.
    let mut args = vec!["ocsp", "-issuer", s.ca.issuing_pem.to_str().unwrap()];
    args.extend(extra);
    args.extend(["-serial", &serial, "-reqout", path.to_str().unwrap()]);
    openssl_ok(&args);
    std::fs::read(path).unwrap()
}

/// Answers a request the way the app will: parse, check the issuer, sign one response.
fn answer(s: &Setup, req: &[u8], status: CertStatus) -> Vec<u8> {
    let parsed = OcspRequest::parse(req).unwrap();
    assert_eq!(parsed.cert_ids().len(), 1);
    let id = parsed.cert_ids()[0];
    assert!(s.ca.hierarchy.issuing.issuer_ids().unwrap().matches(&id));
    let single = SingleResponse {
        cert_id: id,
        status,
        this_update: now() - 1.minute(),
        next_update: Some(now() + 24.hours()),
    };
    s.responder.sign(&single, now(), parsed.nonce()).unwrap()
}

/// openssl checks the response: first against the request (nonce) and the CA chain, then
/// the status of `serial` (openssl builds its own CertID for that, hence `digest`).
fn openssl_check(
    s: &Setup,
    name: &str,
    req: &[u8],
    resp: &[u8],
    serial: Serial,
    digest: &str,
) -> String {
    let req_path = write(s.ca.dir.path(), &format!("{name}.req"), req);
    let resp_path = write(s.ca.dir.path(), &format!("{name}.resp"), resp);
    let chain = [
        "-CAfile",
        s.ca.root_pem.to_str().unwrap(),
        "-verify_other",
        s.ca.issuing_pem.to_str().unwrap(),
    ];
    let mut args = vec![
        "ocsp",
        "-reqin",
        req_path.to_str().unwrap(),
        "-respin",
        resp_path.to_str().unwrap(),
    ];
    args.extend(chain);
    let out = openssl_ok(&args);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(
        !out.contains("Nonce Verify error") && !out.contains("WARNING"),
        "{out}"
    );

    let serial = format!("0x{}", serial.to_hex());
    let mut args = vec![
        "ocsp",
        "-respin",
        resp_path.to_str().unwrap(),
        "-issuer",
        s.ca.issuing_pem.to_str().unwrap(),
    ];
    args.extend(chain);
    args.extend([digest, "-serial", &serial, "-no_nonce", "-resp_text"]);
    let out = openssl_ok(&args);
    assert!(
        out.contains("Response verify OK") && !out.contains("ERROR"),
        "{out}"
    );
    out
}

#[test]
fn good_revoked_and_unknown_as_openssl_sees_them() {
    let s = setup(KeyAlgorithm::EcdsaP256);
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let good =
        s.ca.issue(CertType::OrgMaster, &key.public_key().unwrap())
            .serial();
    let revoked =
        s.ca.issue(CertType::Personal, &key.public_key().unwrap())
            .serial();
    let unknown = Serial::random();
    let revoked_at = Timestamp::from_second(1_790_000_000).unwrap(); // 2026-09-21 14:13:20 UTC

    let req = request(&s, "good", good, &[]);
    let out = openssl_check(
        &s,
        "good",
        &req,
        &answer(&s, &req, CertStatus::Good),
        good,
        "-sha1",
    );
    assert!(out.contains(&format!("0x{}: good", good.to_hex())), "{out}");
    // byKey: openssl prints the 20-byte key hash in hex (byName would print a DN).
    let responder_id = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Responder Id: "))
        .unwrap();
    assert!(
        responder_id.len() == 40 && responder_id.chars().all(|c| c.is_ascii_hexdigit()),
        "{out}"
    );
    assert!(out.contains("OCSP Nonce"), "nonce echoed: {out}");

    let req = request(&s, "revoked", revoked, &[]);
    let status = CertStatus::Revoked {
        at: revoked_at,
        reason: RevocationReason::KeyCompromise,
    };
    let out = openssl_check(
        &s,
        "revoked",
        &req,
        &answer(&s, &req, status),
        revoked,
        "-sha1",
    );
    assert!(
        out.contains(&format!("0x{}: revoked", revoked.to_hex())),
        "{out}"
    );
    assert!(out.contains("Reason: keyCompromise"), "{out}");
    assert!(
        out.contains("Revocation Time: Sep 21 14:13:20 2026 GMT"),
        "{out}"
    );

    let req = request(&s, "unknown", unknown, &[]);
    let out = openssl_check(
        &s,
        "unknown",
        &req,
        &answer(&s, &req, CertStatus::Unknown),
        unknown,
        "-sha1",
    );
    assert!(
        out.contains(&format!("0x{}: unknown", unknown.to_hex())),
        "{out}"
    );

    let resp_path = s.ca.path("good.resp");
    let findings = pkilint("lint_ocsp_response", &["lint", "-s", "INFO"], &resp_path);
    println!("lint_ocsp_response findings: {findings:#?}");
}

#[test]
fn pre_signed_responses_without_nonce_and_with_sha256_cert_ids() {
    let s = setup(KeyAlgorithm::Rsa3072);
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let serial =
        s.ca.issue(CertType::Seal, &key.public_key().unwrap())
            .serial();
    let ids = s.ca.hierarchy.issuing.issuer_ids().unwrap();
    for (hash, flag) in [
        (HashAlgorithm::Sha1, "-sha1"),
        (HashAlgorithm::Sha256, "-sha256"),
    ] {
        // Pre-signed before any request, as the app will do, one per hash algorithm.
        let single = SingleResponse {
            cert_id: ids.cert_id(hash, serial),
            status: CertStatus::Revoked {
                at: now() - 1.hour(),
                reason: RevocationReason::Superseded,
            },
            this_update: now() - 1.minute(),
            next_update: Some(now() + 24.hours()),
        };
        let resp = s.responder.sign(&single, now(), None).unwrap();
        let req = request(&s, flag, serial, &["-no_nonce", flag]);
        let parsed = OcspRequest::parse(&req).unwrap();
        assert_eq!(parsed.nonce(), None);
        assert_eq!(parsed.cert_ids()[0].hash_algorithm(), hash);
        assert_eq!(parsed.cert_ids()[0].serial(), serial);
        assert!(ids.matches(&parsed.cert_ids()[0]));
        assert_eq!(parsed.cert_ids()[0], single.cert_id, "the app's cache key");
        let out = openssl_check(&s, flag, &req, &resp, serial, flag);
        assert!(
            out.contains("revoked") && out.contains("Reason: superseded"),
            "{out}"
        );
    }
    // The responder certificate alone (VAfile) also validates the response.
    let req = request(&s, "va", serial, &["-no_nonce"]);
    let resp = answer(&s, &req, CertStatus::Good);
    let resp_path = write(s.ca.dir.path(), "va.resp", &resp);
    let out = openssl_ok(&[
        "ocsp",
        "-respin",
        resp_path.to_str().unwrap(),
        "-issuer",
        s.ca.issuing_pem.to_str().unwrap(),
        "-VAfile",
        s.responder_pem.to_str().unwrap(),
        "-serial",
        &format!("0x{}", serial.to_hex()),
    ]);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );
}

#[test]
fn requests_about_another_issuer_do_not_match() {
    let ours = setup(KeyAlgorithm::EcdsaP256);
    let other = setup(KeyAlgorithm::EcdsaP256);
    let req = request(&other, "other", Serial::random(), &[]);
    let parsed = OcspRequest::parse(&req).unwrap();
    assert!(
        !ours
            .ca
            .hierarchy
            .issuing
            .issuer_ids()
            .unwrap()
            .matches(&parsed.cert_ids()[0])
    );
}

fn status_of(dir: &Path, bytes: &[u8]) -> String {
    let path = write(dir, "status.resp", bytes);
    // openssl exits non-zero on a non-successful status; the status line is what matters.
    openssl(&[
        "ocsp",
        "-respin",
        path.to_str().unwrap(),
        "-resp_text",
        "-noverify",
    ])
    .1
}

#[test]
fn malformed_requests_get_the_malformed_response() {
    let s = setup(KeyAlgorithm::EcdsaP256);
    let req = request(&s, "m", Serial::random(), &[]);
    let mut truncated = req.clone();
    truncated.truncate(req.len() - 1);
    let mut trailing = req.clone();
    trailing.push(0);
    for bad in [
        &b""[..],
        b"\x30\x00",
        b"GET / HTTP/1.1",
        &truncated,
        &trailing,
    ] {
        let err = OcspRequest::parse(bad).unwrap_err();
        assert!(matches!(err, OcspError::Malformed(_)));
        assert_eq!(err.response(), ocsp::MALFORMED_REQUEST);
    }
    let dir = s.ca.dir.path();
    assert!(status_of(dir, ocsp::MALFORMED_REQUEST).contains("malformedrequest (1)"));
    assert!(status_of(dir, ocsp::UNAUTHORIZED).contains("unauthorized (6)"));
    assert!(status_of(dir, ocsp::INTERNAL_ERROR).contains("internalerror (2)"));
}
