//! Encrypted key files: our files open in openssl, openssl's open here, wrong passphrases fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pki::{KeyAlgorithm, KeyError, Signer, SoftKey};
use support::*;

const PASS: &str = "correct horse 电池 staple";

#[test]
fn openssl_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    for algorithm in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Sm2,
    ] {
        let key = SoftKey::generate(algorithm).unwrap();
        let pem = key.to_encrypted_pem(PASS).unwrap();
        let path = write(dir.path(), "k.pem", pem.as_bytes());
        let spki = dir.path().join("k.spki");
        let pass = format!("pass:{PASS}");
        openssl_ok(&[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            &pass,
            "-pubout",
            "-outform",
            "DER",
            "-out",
            spki.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read(&spki).unwrap(),
            key.public_key_der(),
            "{algorithm:?}"
        );
        let params = openssl_ok(&["asn1parse", "-in", path.to_str().unwrap()]);
        for needle in [
            "PBES2",
            "PBKDF2",
            "hmacWithSHA256",
            "aes-256-cbc",
            ":0927C0",
        ] {
            // 0x0927C0 = 600,000 PBKDF2 iterations (asn1parse prints INTEGERs in hex)
            assert!(params.contains(needle), "no {needle} in {params}");
        }
        let (ok, _) = openssl(&[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            "pass:wrong",
            "-noout",
        ]);
        assert!(!ok, "openssl opened the key with a wrong passphrase");

        let back = SoftKey::from_encrypted_pem(&pem, PASS).unwrap();
        assert_eq!(back.public_key_der(), key.public_key_der());
        assert_eq!(back.key_algorithm(), algorithm);
        assert!(matches!(
            SoftKey::from_encrypted_pem(&pem, "wrong"),
            Err(KeyError::WrongPassphrase)
        ));
    }
}

#[test]
fn we_read_what_openssl_writes() {
    let dir = tempfile::tempdir().unwrap();
    let pass = format!("pass:{PASS}");
    for (name, key_args) in [
        (
            "p256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
        ),
        (
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"][..],
        ),
        ("sm2", &["-algorithm", "SM2"][..]),
    ] {
        let path = dir.path().join(format!("{name}.pem"));
        let mut args = vec!["genpkey"];
        args.extend(key_args);
        args.extend([
            "-aes-256-cbc",
            "-pass",
            &pass,
            "-out",
            path.to_str().unwrap(),
        ]);
        openssl_ok(&args);
        let pem = std::fs::read_to_string(&path).unwrap();
        let key = SoftKey::from_encrypted_pem(&pem, PASS).unwrap_or_else(|e| panic!("{name}: {e}"));
        let spki = dir.path().join(format!("{name}.spki"));
        openssl_ok(&[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            &pass,
            "-pubout",
            "-outform",
            "DER",
            "-out",
            spki.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read(&spki).unwrap(),
            key.public_key_der(),
            "{name}"
        );
        assert!(matches!(
            SoftKey::from_encrypted_pem(&pem, "not it"),
            Err(KeyError::WrongPassphrase)
        ));
    }
}

#[test]
fn garbage_is_malformed() {
    assert!(matches!(
        SoftKey::from_encrypted_pem("hello", PASS),
        Err(KeyError::Malformed(_))
    ));
    let pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert!(matches!(
        SoftKey::from_encrypted_pem(pem, PASS),
        Err(KeyError::Malformed(_))
    ));
}
