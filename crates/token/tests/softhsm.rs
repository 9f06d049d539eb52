//! The token library against real SoftHSM2 tokens (one configuration per test, each test
//! re-run in a child process: see `support`). Certificates come from a pki test CA;
//! CSRs are checked by `openssl req -verify` as well as by pki.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use jiff::ToSpan;
use pki::{Csr, DistinguishedName, KeyAlgorithm, PublicKey, RevocationReason, Signer, SoftKey};
use support::*;
use token::{KeyAlg, Module, OcspOutcome, TokenError, sign_test};

fn module() -> Module {
    Module::load(MODULE).unwrap()
}

fn subject() -> DistinguishedName {
    DistinguishedName::new()
        .country("CN")
        .organisation("郑州市某某建设工程有限公司")
        .common_name("郑州市某某建设工程有限公司")
}

fn openssl_req_verify(csr_der: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("req.der");
    std::fs::write(&path, csr_der).unwrap();
    let (ok, out) = openssl(&[
        "req",
        "-inform",
        "DER",
        "-in",
        path.to_str().unwrap(),
        "-verify",
        "-noout",
        "-subject",
        "-nameopt",
        "utf8",
    ]);
    assert!(ok, "openssl req -verify failed:\n{out}");
    out
}

#[test]
fn keygen_csr_install_list_read_and_sign_test() {
    if !in_softhsm("keygen_csr_install_list_read_and_sign_test", &["t1"]) {
        return;
    }
    let m = module();
    let tokens = m.tokens().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].label, "t1");
    assert!(!tokens[0].serial.is_empty());
    assert!(tokens[0].certificates.is_empty());

    let t = m.open(None, PIN).unwrap();
    let k = t.keygen("单位主锁", KeyAlg::P256).unwrap();
    assert_eq!(k.algorithm, KeyAlg::P256);
    assert_eq!(k.id.len(), 16);
    assert!(!k.has_certificate);
    assert_eq!(t.keys().unwrap(), vec![k.clone()]);

    // The private key is sensitive and never extractable: ask the token itself.
    {
        use cryptoki::context::Pkcs11;
        let ctx = Pkcs11::new(MODULE).unwrap();
        let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
        let session = ctx.open_ro_session(slot).unwrap();
        let private = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(k.id.clone()),
            ])
            .unwrap();
        assert_eq!(private.len(), 1);
        let attrs = session
            .get_attributes(
                private[0],
                &[AttributeType::Sensitive, AttributeType::Extractable],
            )
            .unwrap();
        assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
        assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    }

    // The CSR: openssl and pki both accept it, and it carries the token's key.
    let key = t.key("单位主锁").unwrap();
    let csr = token::csr(&key, &subject()).unwrap();
    let out = openssl_req_verify(&csr);
    assert!(out.contains("verify OK"), "{out}");
    assert!(out.contains("郑州市某某建设工程有限公司"), "{out}");
    let parsed = Csr::parse(&csr).unwrap();
    assert_eq!(parsed.public_key().spki_der(), k.spki_der.as_slice());

    // Issue, install with the chain, and see it everywhere.
    let ca = TestCa::new("https://certdesk.example/");
    let cert = ca.issue(parsed.public_key());
    t.install(&k.id, &cert, &ca.chain()).unwrap();
    // Installing again changes nothing: no duplicate certificate, no duplicate chain.
    t.install(&k.id, &cert, &ca.chain()).unwrap();
    assert_eq!(t.certificate(&k.id).unwrap(), Some(cert.clone()));
    assert!(t.keys().unwrap()[0].has_certificate);

    let listed = &m.tokens().unwrap()[0];
    assert_eq!(listed.certificates.len(), 3, "{:?}", listed.certificates);
    let own: Vec<_> = listed
        .certificates
        .iter()
        .filter(|c| c.key_id == k.id_hex())
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].label, "单位主锁");
    assert!(!own[0].authority);
    assert_eq!(
        listed.certificates.iter().filter(|c| c.authority).count(),
        2
    );
    assert!(listed.public_keys.iter().any(|p| p.id == k.id_hex()));

    let read = t.read().unwrap();
    assert_eq!(read.token_serial, listed.serial);
    assert_eq!(read.certificates.len(), 1);
    let c = &read.certificates[0];
    assert_eq!(c.subject.cn.as_deref(), Some("郑州市某某建设工程有限公司"));
    assert_eq!(c.subject.o.as_deref(), Some("郑州市某某建设工程有限公司"));
    assert_eq!(c.subject.uscc.as_deref(), Some(uscc().as_str()));
    assert_eq!(c.issuer_cn.as_deref(), Some("certdesk Issuing CA"));
    assert_eq!(c.key_id, k.id_hex());
    let json = serde_json::to_value(&read).unwrap();
    assert_eq!(json["certificates"][0]["serial"], c.serial.as_str());

    // 测试盖章 without OCSP: the signature and the chain hold.
    let test = sign_test(&t, &k.id, "测试盖章".as_bytes(), None).unwrap();
    assert!(
        test.signature_ok && test.chain_ok && test.time_ok,
        "{test:?}"
    );
    assert_eq!(test.ocsp, OcspOutcome::Skipped);
    assert!(test.passed());
    // And the token's signature is one an independent verifier accepts.
    let sig = key.sign(b"hello").unwrap();
    PublicKey::from_spki_der(&k.spki_der)
        .unwrap()
        .verify(b"hello", &sig)
        .unwrap();
    assert!(
        PublicKey::from_spki_der(&k.spki_der)
            .unwrap()
            .verify(b"hellO", &sig)
            .is_err()
    );
}

#[test]
fn renewal_on_the_same_key_replaces_the_certificate_and_a_foreign_one_is_refused() {
    if !in_softhsm(
        "renewal_on_the_same_key_replaces_the_certificate_and_a_foreign_one_is_refused",
        &["t1"],
    ) {
        return;
    }
    let t = module().open(Some("t1"), PIN).unwrap();
    let k = t.keygen("k", KeyAlg::P256).unwrap();
    let public = PublicKey::from_spki_der(&k.spki_der).unwrap();
    let ca = TestCa::new("https://certdesk.example/");
    let first = ca.issue_at(&public, now() - (300 * 24).hours());
    t.install(&k.id, &first, &ca.chain()).unwrap();
    let second = ca.issue(&public);
    t.install(&k.id, &second, &ca.chain()).unwrap();
    assert_eq!(t.certificate(&k.id).unwrap(), Some(second.clone()));
    let read = t.read().unwrap();
    assert_eq!(read.certificates.len(), 1, "the old certificate is gone");

    // A certificate for another key: refused, the token unchanged.
    let other = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let foreign = ca.issue(&other.public_key().unwrap());
    let err = t.install(&k.id, &foreign, &[]).unwrap_err();
    assert!(matches!(err, TokenError::CertificateMismatch), "{err:?}");
    assert!(err.to_string().contains("不属于该密钥"), "{err}");
    assert_eq!(t.certificate(&k.id).unwrap(), Some(second));

    // Some tools keep no public key object beside a certified key: the certificate stands in.
    {
        use cryptoki::context::Pkcs11;
        let ctx = Pkcs11::new(MODULE).unwrap();
        let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
        let session = ctx.open_rw_session(slot).unwrap();
        let public = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Id(k.id.clone()),
            ])
            .unwrap();
        session.destroy_object(public[0]).unwrap();
    }
    let keys = t.keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].spki_der, k.spki_der);
    assert!(sign_test(&t, &k.id, b"m", None).unwrap().passed());
}

#[test]
fn rsa_2048_where_the_token_offers_it() {
    if !in_softhsm("rsa_2048_where_the_token_offers_it", &["t1"]) {
        return;
    }
    let t = module().open(None, PIN).unwrap();
    let k = t.keygen("rsa", KeyAlg::Rsa2048).unwrap();
    assert_eq!(k.algorithm, KeyAlg::Rsa2048);
    let key = t.key(&k.id_hex()).unwrap();
    let csr = token::csr(&key, &subject()).unwrap();
    assert!(openssl_req_verify(&csr).contains("verify OK"));
    let parsed = Csr::parse(&csr).unwrap();
    assert_eq!(parsed.public_key().kind(), pki::KeyKind::Rsa { bits: 2048 });
    let ca = TestCa::new("https://certdesk.example/");
    t.install(&k.id, &ca.issue(parsed.public_key()), &ca.chain())
        .unwrap();
    let test = sign_test(&t, &k.id, b"rsa", None).unwrap();
    assert!(test.passed(), "{test:?}");
}

#[test]
fn errors_are_plain_words() {
    if !in_softhsm("errors_are_plain_words", &["t1", "t2"]) {
        return;
    }
    let m = module();
    // Two tokens: the tool asks which, naming both.
    let err = m.open(None, PIN).unwrap_err();
    assert!(
        matches!(err, TokenError::SeveralTokens(ref v) if v.len() == 2),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("t1") && text.contains("t2") && text.contains("--token"),
        "{text}"
    );
    let err = m.open(Some("t3"), PIN).unwrap_err();
    assert!(matches!(err, TokenError::TokenNotFound { .. }), "{err:?}");

    // A wrong PIN, named without the PIN.
    let err = m.open(Some("t1"), "9999").unwrap_err();
    assert!(matches!(err, TokenError::WrongPin(_)), "{err:?}");
    assert!(err.to_string().contains("PIN 码不正确"), "{err}");
    assert!(!err.to_string().contains("9999"));

    // By serial number as well as by label.
    let serial = m.tokens().unwrap()[1].serial.clone();
    let t = m.open(Some(&serial), PIN).unwrap();
    assert_eq!(t.info().serial, serial);

    // An absent key: say which keys are there.
    t.keygen("present", KeyAlg::P256).unwrap();
    let err = t.key("absent").unwrap_err();
    assert!(matches!(err, TokenError::KeyNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("absent") && err.to_string().contains("present"));
    assert!(matches!(
        t.keygen("present", KeyAlg::P256),
        Err(TokenError::KeyExists(_))
    ));
    // A key without a certificate cannot be test-signed.
    let id = t.key("present").unwrap().info().id.clone();
    assert!(matches!(
        sign_test(&t, &id, b"x", None),
        Err(TokenError::NoCertificate)
    ));

    // A missing module, and a file that is not a PKCS#11 library.
    let err = Module::load("/nonexistent/libpkcs11.so").unwrap_err();
    assert!(matches!(err, TokenError::ModuleMissing(_)), "{err:?}");
    assert!(err.to_string().contains("找不到 PKCS#11 模块文件"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.so");
    std::fs::write(&fake, b"not a library").unwrap();
    let err = Module::load(&fake).unwrap_err();
    assert!(matches!(err, TokenError::NotPkcs11(..)), "{err:?}");
}

#[test]
fn seal_image_is_written_and_replaced() {
    if !in_softhsm("seal_image_is_written_and_replaced", &["t1"]) {
        return;
    }
    let t = module().open(None, PIN).unwrap();
    let k = t.keygen("seal", KeyAlg::P256).unwrap();
    assert_eq!(t.seal(&k.id).unwrap(), None);
    t.install_seal(&k.id, b"\x89PNG first", "image/png")
        .unwrap();
    t.install_seal(&k.id, b"\x89PNG second", "image/png")
        .unwrap();
    assert_eq!(
        t.seal(&k.id).unwrap(),
        Some((b"\x89PNG second".to_vec(), "image/png".to_string()))
    );
    assert!(matches!(
        t.install_seal(&k.id, b"x", "text/plain"),
        Err(TokenError::BadSeal(_))
    ));
    assert!(matches!(
        t.install_seal(b"nope", b"x", "image/png"),
        Err(TokenError::KeyNotFound { .. })
    ));
}

#[test]
fn ocsp_good_revoked_unknown_and_untrusted() {
    if !in_softhsm("ocsp_good_revoked_unknown_and_untrusted", &["t1"]) {
        return;
    }
    let server = OcspServer::start();
    let ca = TestCa::new(&server.base_url);
    *server.responder.lock().unwrap() = Some(ca.responder());

    let t = module().open(None, PIN).unwrap();
    let k = t.keygen("k", KeyAlg::P256).unwrap();
    let cert = ca.issue(&PublicKey::from_spki_der(&k.spki_der).unwrap());
    t.install(&k.id, &cert, &ca.chain()).unwrap();
    let fetch = |url: &str, body: &[u8]| http_post(url, body);

    let test = sign_test(&t, &k.id, b"m", Some(&fetch)).unwrap();
    assert_eq!(test.ocsp, OcspOutcome::Good, "{test:?}");
    assert!(test.passed());

    server.set(Answer::Revoked(RevocationReason::KeyCompromise));
    let test = sign_test(&t, &k.id, b"m", Some(&fetch)).unwrap();
    assert!(
        matches!(
            test.ocsp,
            OcspOutcome::Revoked {
                reason: Some(1),
                ..
            }
        ),
        "{test:?}"
    );
    assert!(!test.passed());
    assert!(test.ocsp.describe().contains("已吊销"));

    server.set(Answer::Unknown);
    let test = sign_test(&t, &k.id, b"m", Some(&fetch)).unwrap();
    assert_eq!(test.ocsp, OcspOutcome::Unknown);

    // A responder the issuer never authorised: not trusted.
    let other = TestCa::new(&server.base_url);
    *server.responder.lock().unwrap() = Some(other.responder());
    server.set(Answer::Good);
    let test = sign_test(&t, &k.id, b"m", Some(&fetch)).unwrap();
    assert!(
        matches!(test.ocsp, OcspOutcome::Failed { ref message } if message.contains("签名")),
        "{test:?}"
    );

    // An unreachable responder is a plain failure, not an error of the test itself.
    let unreachable = |_: &str, _: &[u8]| Err::<Vec<u8>, String>("connection refused".into());
    let test = sign_test(&t, &k.id, b"m", Some(&unreachable)).unwrap();
    assert!(
        matches!(test.ocsp, OcspOutcome::Failed { ref message } if message.contains("无法连接")),
        "{test:?}"
    );
}
