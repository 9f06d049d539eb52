//! CRLs: openssl verifies them and reads the reasons; x509-parser and pkilint read them too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use jiff::ToSpan;
use pki::{CrlInfo, KeyAlgorithm, RevocationReason, Revoked, Serial};
use support::*;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

fn entries() -> Vec<Revoked> {
    let at = now() - 2.hours();
    [
        ("0A1B2C", RevocationReason::KeyCompromise),
        (
            "7F00000000000000000000000000000001",
            RevocationReason::Superseded,
        ),
        ("80", RevocationReason::CessationOfOperation),
        ("0100", RevocationReason::Unspecified),
        ("0200", RevocationReason::AffiliationChanged),
    ]
    .into_iter()
    .map(|(hex, reason)| Revoked {
        serial: Serial::from_hex(hex).unwrap(),
        revoked_at: at,
        reason,
    })
    .collect()
}

fn crl_checks(algorithm: KeyAlgorithm) {
    let ca = soft_ca(algorithm);
    let info = CrlInfo {
        number: 42,
        this_update: now(),
        next_update: now() + (7 * 24).hours(),
    };
    let der = ca.hierarchy.issuing.crl(&info, entries()).unwrap();
    let path = write(ca.dir.path(), "issuing.crl", &der);
    let path = path.to_str().unwrap();

    if algorithm == KeyAlgorithm::Sm2 {
        // `openssl crl` has no way to pass the SM2 id: check the signature with the sm2
        // crate over the TBSCertList x509-parser finds.
        use sm2::dsa::signature::Verifier;
        let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
        let (_, issuing) =
            X509Certificate::from_der(ca.hierarchy.issuing.certificate().der()).unwrap();
        let point = &issuing.public_key().subject_public_key.data;
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(pki::SM2_DEFAULT_ID, point).unwrap();
        let sig = sm2::dsa::Signature::from_der(&crl.signature_value.data).unwrap();
        key.verify(crl.tbs_cert_list.as_ref(), &sig).unwrap();
    } else {
        let out = openssl_ok(&[
            "crl",
            "-in",
            path,
            "-inform",
            "DER",
            "-verify",
            "-CAfile",
            ca.issuing_pem.to_str().unwrap(),
            "-noout",
        ]);
        assert!(out.contains("verify OK"), "{out}");
        // A CRL signed by the root is not the issuing CA's.
        let (_, out) = openssl(&[
            "crl",
            "-in",
            path,
            "-inform",
            "DER",
            "-verify",
            "-CAfile",
            ca.root_pem.to_str().unwrap(),
            "-noout",
        ]);
        assert!(!out.contains("verify OK"), "{out}");
    }

    let text = openssl_ok(&["crl", "-in", path, "-inform", "DER", "-noout", "-text"]);
    for needle in [
        "Version 2",
        "X509v3 CRL Number: \n                42",
        "X509v3 Authority Key Identifier",
        "Serial Number: 0A1B2C",
        "Key Compromise",
        "Serial Number: 7F00000000000000000000000000000001",
        "Superseded",
        "Serial Number: 80",
        "Cessation Of Operation",
        "Affiliation Changed",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
    assert_eq!(
        text.matches("CRL Reason Code").count(),
        4,
        "unspecified carries no reason code:\n{text}"
    );

    let (rest, crl) = CertificateRevocationList::from_der(&der).unwrap();
    assert!(rest.is_empty());
    assert_eq!(crl.iter_revoked_certificates().count(), 5);
    assert_eq!(crl.crl_number().unwrap().to_string(), "42");

    let findings = pkilint(
        "lint_crl",
        &["lint", "-t", "CRL", "-p", "PKIX", "-s", "INFO"],
        std::path::Path::new(path),
    );
    println!("lint_crl findings for {algorithm:?}: {findings:#?}");
}

#[test]
fn p256_crl() {
    crl_checks(KeyAlgorithm::EcdsaP256);
}

#[test]
fn rsa_crl() {
    crl_checks(KeyAlgorithm::Rsa3072);
}

#[test]
fn sm2_crl() {
    crl_checks(KeyAlgorithm::Sm2);
}

#[test]
fn empty_crl_has_no_revoked_list() {
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    let info = CrlInfo {
        number: 1,
        this_update: now(),
        next_update: now() + 1.hour(),
    };
    let der = ca.hierarchy.issuing.crl(&info, []).unwrap();
    let path = write(ca.dir.path(), "empty.crl", &der);
    let out = openssl_ok(&[
        "crl",
        "-in",
        path.to_str().unwrap(),
        "-inform",
        "DER",
        "-verify",
        "-CAfile",
        ca.issuing_pem.to_str().unwrap(),
        "-text",
        "-noout",
    ]);
    assert!(
        out.contains("verify OK") && out.contains("No Revoked Certificates."),
        "{out}"
    );
    assert!(
        ca.hierarchy
            .issuing
            .crl(
                &CrlInfo {
                    next_update: info.this_update,
                    ..info
                },
                []
            )
            .is_err()
    );
}

#[test]
fn a_large_crl_still_verifies() {
    // 100,000 entries: multi-byte lengths on every enclosing SEQUENCE (the million-entry
    // timing is in the benchmark, not here).
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    let at = now() - 1.hour();
    let entries = (1..=100_000u32).map(|i| Revoked {
        serial: Serial::from_unsigned_bytes(&i.to_be_bytes()).unwrap(),
        revoked_at: at,
        reason: if i % 2 == 0 {
            RevocationReason::Superseded
        } else {
            RevocationReason::Unspecified
        },
    });
    let info = CrlInfo {
        number: 7,
        this_update: now(),
        next_update: now() + 1.hour(),
    };
    let der = ca.hierarchy.issuing.crl(&info, entries).unwrap();
    let path = write(ca.dir.path(), "large.crl", &der);
    let out = openssl_ok(&[
        "crl",
        "-in",
        path.to_str().unwrap(),
        "-inform",
        "DER",
        "-verify",
        "-CAfile",
        ca.issuing_pem.to_str().unwrap(),
        "-noout",
    ]);
    assert!(out.contains("verify OK"), "{out}");
    let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
    assert_eq!(crl.iter_revoked_certificates().count(), 100_000);
    assert_eq!(
        crl.iter_revoked_certificates()
            .filter(|r| r.reason_code().is_some())
            .count(),
        50_000
    );
}
