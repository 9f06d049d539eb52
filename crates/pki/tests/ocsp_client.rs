//! The OCSP client (the USB-key tool's 测试盖章) against an independent responder:
//! `openssl ocsp` answers our requests from an index file, and the answers are checked here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::Arc;

use domain::application::CertType;
use jiff::{Timestamp, ToSpan};
use pki::ocsp_client::{OcspClientError, OcspQuery, OcspStatus};
use pki::{KeyAlgorithm, SoftKey, certificate_pem};
use support::*;

fn key_pem(dir: &Path, name: &str, key: &SoftKey) -> String {
    let der = write(dir, &format!("{name}.der"), &key.to_pkcs8_der());
    let pem = dir.join(format!("{name}.pem"));
    openssl_ok(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        der.to_str().unwrap(),
        "-out",
        pem.to_str().unwrap(),
    ]);
    pem.to_str().unwrap().to_string()
}

fn yymmdd(t: Timestamp) -> String {
    t.strftime("%y%m%d%H%M%SZ").to_string()
}

/// `openssl ocsp` as the responder: answers `request` from an index with one line.
fn openssl_answer(
    dir: &Path,
    index_line: &str,
    signer: &str,
    key: &str,
    request: &[u8],
) -> Vec<u8> {
    let index = write(dir, "index.txt", format!("{index_line}\n").as_bytes());
    let req = write(dir, "req.der", request);
    let resp = dir.join("resp.der");
    openssl_ok(&[
        "ocsp",
        "-index",
        index.to_str().unwrap(),
        "-CA",
        dir.join("issuing.pem").to_str().unwrap(),
        "-rsigner",
        signer,
        "-rkey",
        key,
        "-reqin",
        req.to_str().unwrap(),
        "-respout",
        resp.to_str().unwrap(),
        "-nmin",
        "60",
    ]);
    std::fs::read(resp).unwrap()
}

#[test]
fn answers_from_openssl_are_read_and_checked() {
    let root = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
    let issuing = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
    let ca = ca_with_keys(KeyAlgorithm::EcdsaP256, root, issuing.clone());
    let dir = ca.dir.path();
    let holder = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let cert = ca.issue(CertType::OrgMaster, &holder.public_key().unwrap());
    let issuing_der = ca.hierarchy.issuing.certificate().der().to_vec();

    let query = OcspQuery::new(cert.der(), &issuing_der, Some(b"0123456789abcdef")).unwrap();
    // openssl reads our request: the serial and the nonce are there.
    let req = write(dir, "ours.der", query.request_der());
    let text = openssl_ok(&["ocsp", "-reqin", req.to_str().unwrap(), "-req_text"]);
    assert!(text.contains(&cert.serial().to_hex()), "{text}");
    assert!(text.contains("OCSP Nonce"), "{text}");

    let (resp_der, resp_key) = ca.responder();
    let resp_pem = write(dir, "responder.pem", certificate_pem(&resp_der).as_bytes());
    let resp_key = key_pem(dir, "responder-key", &resp_key);
    let issuing_key = key_pem(dir, "issuing-key", &issuing);
    let exp = yymmdd(Timestamp::now() + (400 * 24).hours());
    let serial = cert.serial().to_hex();
    let now = Timestamp::now();

    // Good, from a delegated responder.
    let good = openssl_answer(
        dir,
        &format!("V\t{exp}\t\t{serial}\tunknown\t/CN=holder"),
        resp_pem.to_str().unwrap(),
        &resp_key,
        query.request_der(),
    );
    let answer = query.check(&good, now).unwrap();
    assert_eq!(answer.status, OcspStatus::Good);
    assert!(answer.delegated);

    // Revoked with a reason, signed by the issuing CA itself.
    let revoked_at = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
    let revoked = openssl_answer(
        dir,
        &format!(
            "R\t{exp}\t{},keyCompromise\t{serial}\tunknown\t/CN=holder",
            yymmdd(revoked_at)
        ),
        ca.issuing_pem.to_str().unwrap(),
        &issuing_key,
        query.request_der(),
    );
    let answer = query.check(&revoked, now).unwrap();
    assert_eq!(
        answer.status,
        OcspStatus::Revoked {
            at: revoked_at,
            reason: Some(1)
        }
    );
    assert!(!answer.delegated);

    // A serial the index does not hold: unknown.
    let unknown = openssl_answer(
        dir,
        &format!("V\t{exp}\t\t0BADC0DE\tunknown\t/CN=other"),
        resp_pem.to_str().unwrap(),
        &resp_key,
        query.request_der(),
    );
    assert_eq!(
        query.check(&unknown, now).unwrap().status,
        OcspStatus::Unknown
    );

    // A flipped signature bit, an answer about another certificate, a stale answer.
    let mut tampered = good.clone();
    let last = tampered.len() - 1 - resp_der.len() - 8;
    tampered[last] ^= 1;
    assert_eq!(
        query.check(&tampered, now),
        Err(OcspClientError::BadSignature)
    );
    let other = ca.issue(CertType::OrgMaster, &holder.public_key().unwrap());
    let other_query = OcspQuery::new(other.der(), &issuing_der, None).unwrap();
    assert_eq!(
        other_query.check(&good, now),
        Err(OcspClientError::WrongCertificate)
    );
    assert_eq!(
        query.check(&good, now + (3 * 24).hours()),
        Err(OcspClientError::Stale)
    );
    // A responder that refuses.
    assert_eq!(
        query.check(pki::ocsp::UNAUTHORIZED, now),
        Err(OcspClientError::Refused(6))
    );
}
