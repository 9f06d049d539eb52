//! `certdesk token` as a USB-key holder uses it, against a real SoftHSM2 token (one
//! configuration per test, passed to the binary through SOFTHSM2_CONF), a pki test CA and
//! a local OCSP responder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use pki::{Csr, KeyAlgorithm, RevocationReason, SoftKey, certificate_pem};
use token::testing::{Answer, MODULE, OcspServer, PIN, TestCa, softhsm_conf, uscc};

fn certdesk(conf: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    c.env("SOFTHSM2_CONF", conf)
        .env("RUST_LOG", "warn")
        .env_remove("CERTDESK_TOKEN_PIN")
        .env_remove("CERTDESK_PKCS11_MODULE");
    c
}

/// `certdesk token --module <SoftHSM> <args>` with the PIN in the environment.
fn token(conf: &Path, args: &[&str]) -> Output {
    certdesk(conf)
        .args(["token", "--module", MODULE])
        .args(args)
        .env("CERTDESK_TOKEN_PIN", PIN)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn refused(o: Output) -> String {
    assert!(!o.status.success(), "unexpected success:\n{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
    stderr(&o)
}

fn read_json(conf: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(token(conf, &["read", "--json"]))).unwrap()
}

#[test]
fn keygen_csr_install_read_and_sign_test_with_ocsp() {
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm_conf(dir.path(), &["t1"]);
    let server = OcspServer::start();
    let ca = TestCa::new(&server.base_url);
    *server.responder.lock().unwrap() = Some(ca.responder());

    let out = ok(token(&conf, &["list"]));
    assert!(
        out.contains("USB-KEY：t1") && out.contains("锁序列号"),
        "{out}"
    );

    let out = ok(token(&conf, &["keygen", "--label", "单位主锁"]));
    assert!(out.contains("已在 USB-KEY 中生成密钥：单位主锁"), "{out}");

    // The request: openssl verifies it, pki reads the token's key from it.
    let req = dir.path().join("req.pem");
    ok(token(
        &conf,
        &[
            "csr",
            "--key",
            "单位主锁",
            "--cn",
            "郑州市某某建设工程有限公司",
            "--o",
            "郑州市某某建设工程有限公司",
            "--out",
            req.to_str().unwrap(),
        ],
    ));
    let check = Command::new("openssl")
        .args(["req", "-in", req.to_str().unwrap(), "-verify", "-noout"])
        .output()
        .expect("openssl must be installed");
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("verify OK")
            || String::from_utf8_lossy(&check.stdout).contains("verify OK"),
        "{check:?}"
    );
    let csr = Csr::parse(&std::fs::read(&req).unwrap()).unwrap();

    // Issue, install with the chain and a seal image, and see it in list and read.
    let cert = ca.issue(csr.public_key());
    let cert_pem = dir.path().join("cert.pem");
    std::fs::write(&cert_pem, certificate_pem(&cert)).unwrap();
    let chain_pem = dir.path().join("chain.pem");
    let chain: String = ca.chain().iter().map(|c| certificate_pem(c)).collect();
    std::fs::write(&chain_pem, chain).unwrap();
    let seal = dir.path().join("seal.png");
    std::fs::write(&seal, b"\x89PNG\r\n\x1a\n seal").unwrap();
    let out = ok(token(
        &conf,
        &[
            "install",
            "--key",
            "单位主锁",
            "--cert",
            cert_pem.to_str().unwrap(),
            "--chain",
            chain_pem.to_str().unwrap(),
            "--seal",
            seal.to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("证书已写入") && out.contains("印章图片已写入"),
        "{out}"
    );

    let out = ok(token(&conf, &["list"]));
    assert!(out.contains("证书：郑州市某某建设工程有限公司"), "{out}");
    assert!(out.contains("CA 证书：certdesk Issuing CA"), "{out}");

    let read = read_json(&conf);
    assert!(!read["token_serial"].as_str().unwrap().is_empty());
    let certs = read["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{read}");
    assert_eq!(certs[0]["subject"]["uscc"], uscc().as_str());
    assert_eq!(certs[0]["subject"]["cn"], "郑州市某某建设工程有限公司");
    assert_eq!(certs[0]["issuer_cn"], "certdesk Issuing CA");
    let first_serial = certs[0]["serial"].as_str().unwrap().to_string();
    let out = ok(token(&conf, &["read"]));
    assert!(
        out.contains(&first_serial) && out.contains(uscc().as_str()),
        "{out}"
    );

    // 测试盖章: the signature verifies and the responder says good.
    let out = ok(token(&conf, &["sign-test", "--key", "单位主锁"]));
    assert!(out.contains("签名验证通过"), "{out}");
    assert!(out.contains("OCSP 状态：有效"), "{out}");
    let out = ok(token(
        &conf,
        &["sign-test", "--key", "单位主锁", "--no-ocsp"],
    ));
    assert!(out.contains("OCSP 状态：未查询"), "{out}");

    // Revoked: the test fails, saying so.
    server.set(Answer::Revoked(RevocationReason::KeyCompromise));
    let o = token(&conf, &["sign-test", "--key", "单位主锁"]);
    assert!(stdout(&o).contains("已吊销"), "{}", stdout(&o));
    assert!(refused(o).contains("测试盖章未通过"));
    server.set(Answer::Good);

    // Renewal on the same key: the new certificate replaces the old one.
    let renewed = ca.issue(csr.public_key());
    std::fs::write(&cert_pem, certificate_pem(&renewed)).unwrap();
    ok(token(
        &conf,
        &[
            "install",
            "--key",
            "单位主锁",
            "--cert",
            cert_pem.to_str().unwrap(),
        ],
    ));
    let read = read_json(&conf);
    let certs = read["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{read}");
    assert_ne!(certs[0]["serial"], first_serial.as_str());

    // A certificate for another key is refused.
    let other = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let foreign = ca.issue(&other.public_key().unwrap());
    let foreign_pem = dir.path().join("foreign.pem");
    std::fs::write(&foreign_pem, certificate_pem(&foreign)).unwrap();
    let err = refused(token(
        &conf,
        &[
            "install",
            "--key",
            "单位主锁",
            "--cert",
            foreign_pem.to_str().unwrap(),
        ],
    ));
    assert!(err.contains("不属于该密钥"), "{err}");
}

#[test]
fn plain_errors_and_no_pin_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm_conf(dir.path(), &["t1"]);

    // A missing module.
    let err = refused(
        certdesk(&conf)
            .args(["token", "--module", "/nonexistent/libpkcs11.so", "list"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("找不到 PKCS#11 模块文件"), "{err}");

    // No PIN anywhere: say where to put it.
    let err = refused(
        certdesk(&conf)
            .args(["token", "--module", MODULE, "keygen"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("CERTDESK_TOKEN_PIN"), "{err}");

    // A wrong PIN, without echoing it.
    let err = refused(
        certdesk(&conf)
            .args(["token", "--module", MODULE, "keygen"])
            .env("CERTDESK_TOKEN_PIN", "987654")
            .output()
            .unwrap(),
    );
    assert!(err.contains("PIN 码不正确"), "{err}");
    assert!(!err.contains("987654"), "{err}");

    // The module from the environment and the PIN from a file.
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    let out = ok(certdesk(&conf)
        .env("CERTDESK_PKCS11_MODULE", MODULE)
        .args([
            "token",
            "--pin-file",
            pin_file.to_str().unwrap(),
            "keygen",
            "--label",
            "k1",
        ])
        .output()
        .unwrap());
    assert!(out.contains("k1"), "{out}");

    // An absent key: name the keys that are there.
    let err = refused(token(&conf, &["sign-test", "--key", "absent"]));
    assert!(
        err.contains("没有密钥“absent”") && err.contains("k1"),
        "{err}"
    );
    // A key without a certificate.
    let err = refused(token(&conf, &["sign-test", "--key", "k1"]));
    assert!(err.contains("还没有证书"), "{err}");
    // A token that is not there.
    let err = refused(token(&conf, &["--token", "t9", "read"]));
    assert!(err.contains("t9") && err.contains("t1"), "{err}");
    // There is no --pin flag.
    let o = token(&conf, &["--pin", PIN, "read"]);
    assert!(!o.status.success());
}
