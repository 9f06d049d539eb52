//! CSR parsing: what is accepted, and one typed error per kind of refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pki::{Csr, CsrError, KeyKind};
use support::*;

fn csr(key_args: &[&str], req_args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    openssl_csr(dir.path(), "k", key_args, req_args)
}

fn p256() -> Vec<u8> {
    csr(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-sha256"],
    )
}

#[test]
fn accepted_keys_and_signatures() {
    let cases: Vec<(Vec<u8>, KeyKind)> = vec![
        (p256(), KeyKind::EcP256),
        (
            csr(
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                &["-sha384"],
            ),
            KeyKind::EcP384,
        ),
        (
            csr(
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                &["-sha256"],
            ),
            KeyKind::EcP384,
        ),
        (
            csr(
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                &["-sha256"],
            ),
            KeyKind::Rsa { bits: 2048 },
        ),
        (
            csr(
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
                &["-sha384"],
            ),
            KeyKind::Rsa { bits: 3072 },
        ),
        // SM2 under the GM/T default id, and under OpenSSL 3's empty default.
        (
            csr(
                &["-algorithm", "SM2"],
                &["-sm3", "-sigopt", "distid:1234567812345678"],
            ),
            KeyKind::Sm2,
        ),
        (csr(&["-algorithm", "SM2"], &["-sm3"]), KeyKind::Sm2),
    ];
    for (der, kind) in cases {
        let parsed = Csr::parse(&der).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(parsed.public_key().kind(), kind);
    }
}

#[test]
fn pem_and_der_give_the_same_key_and_fingerprint_matches_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let der = openssl_csr(
        dir.path(),
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &[],
    );
    let csr_path = dir.path().join("k.csr");
    let pem = openssl_ok(&[
        "req",
        "-in",
        csr_path.to_str().unwrap(),
        "-inform",
        "DER",
        "-outform",
        "PEM",
    ]);
    let from_der = Csr::parse(&der).unwrap();
    let from_pem = Csr::parse(pem.as_bytes()).unwrap();
    assert_eq!(from_der, from_pem);

    let spki_path = dir.path().join("k.spki");
    let key_path = dir.path().join("k.key");
    openssl_ok(&[
        "pkey",
        "-in",
        key_path.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        spki_path.to_str().unwrap(),
    ]);
    let spki = std::fs::read(&spki_path).unwrap();
    assert_eq!(from_der.public_key().spki_der(), spki.as_slice());
    let fingerprint = openssl_ok(&["dgst", "-sha256", "-r", spki_path.to_str().unwrap()]);
    assert_eq!(
        hex::encode(from_der.public_key().sha256()),
        fingerprint.split_whitespace().next().unwrap()
    );
}

#[test]
fn malformed_input() {
    for input in [
        &b""[..],
        b"\x30\x03\x02\x01",
        b"hello",
        b"-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n",
        b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n",
    ] {
        assert!(
            matches!(Csr::parse(input), Err(CsrError::Malformed(_))),
            "{input:?}"
        );
    }
    let mut der = p256();
    der.truncate(der.len() - 3);
    assert!(matches!(Csr::parse(&der), Err(CsrError::Malformed(_))));
    let mut der = p256();
    der.push(0);
    assert!(matches!(Csr::parse(&der), Err(CsrError::Malformed(_))));
}

#[test]
fn a_flipped_byte_breaks_the_signature() {
    for der in [
        p256(),
        csr(
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &[],
        ),
        csr(&["-algorithm", "SM2"], &["-sm3"]),
    ] {
        let at = der.windows(7).position(|w| w == b"ignored").unwrap();
        let mut bad = der.clone();
        bad[at] ^= 0x01;
        let err = Csr::parse(&bad).unwrap_err();
        assert_eq!(err, CsrError::BadSignature);
        assert_eq!(err.key(), "csr.bad_signature");
        // And in the signature itself (the last byte).
        let mut bad = der.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert_eq!(Csr::parse(&bad).unwrap_err(), CsrError::BadSignature);
    }
}

#[test]
fn rsa_1024_is_too_small() {
    let der = csr(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        &[],
    );
    let err = Csr::parse(&der).unwrap_err();
    assert_eq!(err, CsrError::RsaTooSmall { bits: 1024 });
    assert_eq!(err.key(), "csr.rsa_too_small");
}

#[test]
fn rsa_exponent_3_is_weak() {
    let der = csr(
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_keygen_pubexp:3",
        ],
        &[],
    );
    assert_eq!(
        Csr::parse(&der).unwrap_err(),
        CsrError::WeakExponent("smaller than 65537")
    );
}

#[test]
fn ed25519_and_p521_are_unsupported() {
    let der = csr(&["-algorithm", "ED25519"], &[]);
    assert_eq!(
        Csr::parse(&der).unwrap_err(),
        CsrError::UnsupportedKey("Ed25519")
    );
    let der = csr(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        &["-sha512"],
    );
    let err = Csr::parse(&der).unwrap_err();
    assert!(
        matches!(err, CsrError::UnsupportedKey(reason) if reason.contains("P-521")),
        "{err:?}"
    );
    assert_eq!(err.key(), "csr.unsupported_key");
}

#[test]
fn a_point_off_the_curve_is_refused() {
    for der in [p256(), csr(&["-algorithm", "SM2"], &["-sm3"])] {
        // The uncompressed point follows `03 42 00 04`; change the last byte of y.
        let at = der
            .windows(4)
            .position(|w| w == [0x03, 0x42, 0x00, 0x04])
            .unwrap()
            + 3
            + 64;
        let mut bad = der.clone();
        bad[at] ^= 0x01;
        assert_eq!(Csr::parse(&bad).unwrap_err(), CsrError::PointNotOnCurve);
    }
}
