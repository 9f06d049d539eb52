//! Issuance for each CA algorithm and each profile, checked by openssl, x509-parser and pkilint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use domain::application::CertType;
use jiff::ToSpan;
use pki::{
    Attribute, CertError, Csr, EndEntity, KeyAlgorithm, Profile, Serial, SoftKey, Source,
    SubjectData, SubjectField, certificate_pem, pkcs12,
};
use support::*;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

/// An end-entity key and CSR made by openssl, in a type that fits the CA's algorithm.
fn csr_for(ca: &TestCa, name: &str) -> Csr {
    let der = match ca.algorithm {
        KeyAlgorithm::Sm2 => openssl_csr(
            ca.dir.path(),
            name,
            &["-algorithm", "SM2"],
            &["-sm3", "-sigopt", "distid:1234567812345678"],
        ),
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => openssl_csr(
            ca.dir.path(),
            name,
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &["-sha256"],
        ),
        KeyAlgorithm::EcdsaP256 => openssl_csr(
            ca.dir.path(),
            name,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            &["-sha256"],
        ),
    };
    Csr::parse(&der).unwrap()
}

/// openssl verifies the leaf up to the root. OpenSSL 3.0 applies `-vfyopt distid:…` to the
/// target certificate only, so an SM2 chain with an intermediate fails as a whole there:
/// for SM2 every link is checked on its own (leaf ← issuing, issuing ← root), and
/// x509-parser checks that the links join (issuer = subject, AKI = SKI).
fn verify_chain(ca: &TestCa, leaf: &Path) {
    if ca.algorithm != KeyAlgorithm::Sm2 {
        let out = ca.openssl_verify(leaf);
        assert!(out.contains(": OK"), "{out}");
        return;
    }
    let distid = "distid:1234567812345678";
    let issuing = ca.issuing_pem.to_str().unwrap();
    let root = ca.root_pem.to_str().unwrap();
    let leaf_s = leaf.to_str().unwrap();
    let out = openssl_ok(&[
        "verify",
        "-vfyopt",
        distid,
        "-partial_chain",
        "-CAfile",
        issuing,
        leaf_s,
    ]);
    assert!(out.contains(": OK"), "{out}");
    let out = openssl_ok(&["verify", "-vfyopt", distid, "-CAfile", root, issuing]);
    assert!(out.contains(": OK"), "{out}");
    // Without the id, the signature must not verify: we sign under 1234567812345678.
    let (ok, _) = openssl(&["verify", "-partial_chain", "-CAfile", issuing, leaf_s]);
    assert!(
        !ok,
        "SM2 signature verified under OpenSSL's empty default id"
    );

    let leaf_der = std::fs::read(leaf).unwrap();
    let leaf_pem_text = String::from_utf8(leaf_der).unwrap();
    let leaf_der = pem_to_der(&leaf_pem_text);
    let (_, leaf) = X509Certificate::from_der(&leaf_der).unwrap();
    let issuing_der = ca.hierarchy.issuing.certificate().der();
    let (_, issuing) = X509Certificate::from_der(issuing_der).unwrap();
    let (_, root) = X509Certificate::from_der(ca.hierarchy.root.certificate().der()).unwrap();
    for (child, parent) in [(&leaf, &issuing), (&issuing, &root)] {
        assert_eq!(child.issuer().as_raw(), parent.subject().as_raw());
        assert_eq!(aki(child), ski(parent));
    }
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn ski(cert: &X509Certificate<'_>) -> Vec<u8> {
    cert.iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
        .expect("SKI")
}

fn aki(cert: &X509Certificate<'_>) -> Vec<u8> {
    cert.iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(k) => {
                k.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .expect("AKI")
}

/// x509-parser reads the certificate and finds what the profile promised.
fn second_parser(der: &[u8], ca: &TestCa, cert_type: CertType) {
    let (rest, cert) = X509Certificate::from_der(der).unwrap();
    assert!(rest.is_empty());
    assert_eq!(cert.version().0, 2);
    for ext in cert.iter_extensions() {
        assert!(
            !matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
            ),
            "x509-parser could not read extension {}",
            ext.oid
        );
    }
    let bc = cert.basic_constraints().unwrap().unwrap();
    assert!(!bc.value.ca);
    let ku = cert.key_usage().unwrap().unwrap();
    assert!(ku.critical && ku.value.digital_signature() && ku.value.non_repudiation());
    assert!(!ku.value.key_cert_sign());
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert_eq!(eku.client_auth, cert_type != CertType::Seal);
    assert!(
        eku.other
            .iter()
            .any(|o| o.to_id_string() == "1.3.6.1.5.5.7.3.36")
    );
    assert_eq!(aki(&cert), ca.hierarchy.issuing.certificate().key_id());
    let mut seen = (false, false, false);
    for ext in cert.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                let uris: Vec<String> = aia
                    .accessdescs
                    .iter()
                    .map(|d| match &d.access_location {
                        GeneralName::URI(u) => format!("{} {u}", d.access_method.to_id_string()),
                        other => panic!("unexpected {other:?}"),
                    })
                    .collect();
                assert_eq!(
                    uris,
                    [
                        "1.3.6.1.5.5.7.48.1 https://certdesk.example/ocsp",
                        "1.3.6.1.5.5.7.48.2 https://certdesk.example/ca/issuing.crt"
                    ]
                );
                seen.0 = true;
            }
            ParsedExtension::CRLDistributionPoints(dps) => {
                assert_eq!(dps.points.len(), 1);
                seen.1 = true;
            }
            ParsedExtension::CertificatePolicies(p) => {
                let n = CertType::ALL.iter().position(|t| *t == cert_type).unwrap() + 1;
                assert_eq!(
                    p[0].policy_id.to_id_string(),
                    format!("1.3.6.1.4.1.99999.1.{n}")
                );
                seen.2 = true;
            }
            _ => {}
        }
    }
    assert_eq!(seen, (true, true, true));
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let expected_cn = match cert_type {
        CertType::OrgMaster => "郑州市某某建设工程有限公司",
        CertType::OrgStaff | CertType::Personal => "张三",
        CertType::Seal => "郑州市某某建设工程有限公司合同专用章",
    };
    assert_eq!(cn, expected_cn);
    let org_id = subject
        .iter_attributes()
        .find(|a| a.attr_type().to_id_string() == "2.5.4.97")
        .map(|a| a.as_str().unwrap().to_string());
    if cert_type == CertType::Personal {
        assert_eq!(org_id, None);
        assert_eq!(subject.iter_organization().count(), 0);
    } else {
        assert_eq!(org_id.unwrap(), format!("NTRCN-{}", uscc().as_str()));
    }
}

fn issue_every_profile(algorithm: KeyAlgorithm) {
    let ca = soft_ca(algorithm);
    let mut findings = Vec::new();
    let root = ca.root_pem.clone();
    let issuing = ca.issuing_pem.clone();
    findings.extend(pkilint_cert(&root));
    findings.extend(pkilint_cert(&issuing));
    // The chain linter takes the issuer, then the subject.
    let chain_lint = |issuer: &Path, subject: &Path| {
        pkilint(
            "lint_pkix_signer_signee_cert_chain",
            &["lint", "-s", "INFO", issuer.to_str().unwrap()],
            subject,
        )
    };
    findings.extend(chain_lint(&root, &issuing));
    let text = openssl_ok(&["x509", "-in", issuing.to_str().unwrap(), "-noout", "-text"]);
    assert!(text.contains("CA:TRUE, pathlen:0"), "{text}");
    assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");

    let (responder, _) = ca.responder();
    let responder_pem = write(
        ca.dir.path(),
        "responder.pem",
        certificate_pem(&responder).as_bytes(),
    );
    verify_chain(&ca, &responder_pem);
    findings.extend(pkilint_cert(&responder_pem));
    findings.extend(chain_lint(&issuing, &responder_pem));
    let text = openssl_ok(&[
        "x509",
        "-in",
        responder_pem.to_str().unwrap(),
        "-noout",
        "-text",
    ]);
    assert!(
        text.contains("OCSP Signing") && text.contains("OCSP No Check"),
        "{text}"
    );

    for cert_type in CertType::ALL {
        let csr = csr_for(&ca, cert_type.as_str());
        let cert = ca.issue(*cert_type, csr.public_key());
        let leaf = write(
            ca.dir.path(),
            &format!("{}.pem", cert_type.as_str()),
            cert.to_pem().as_bytes(),
        );
        verify_chain(&ca, &leaf);
        let text = openssl_ok(&[
            "x509",
            "-in",
            leaf.to_str().unwrap(),
            "-noout",
            "-text",
            "-nameopt",
            "utf8,sep_comma_plus_space",
        ]);
        for needle in [
            "CA:FALSE",
            "X509v3 Key Usage: critical",
            "Digital Signature, Non Repudiation",
            "X509v3 Subject Key Identifier",
            "X509v3 Authority Key Identifier",
            "URI:https://certdesk.example/crl/issuing.crl",
            "OCSP - URI:https://certdesk.example/ocsp",
            "CA Issuers - URI:https://certdesk.example/ca/issuing.crt",
            "Policy: 1.3.6.1.4.1.99999.1.",
            "C=CN",
        ] {
            assert!(
                text.contains(needle),
                "{cert_type:?}: no {needle:?} in\n{text}"
            );
        }
        assert!(
            !text.contains(id_number().as_str()),
            "a raw ID number leaked into\n{text}"
        );
        assert!(
            !text.contains("ignored by the CA"),
            "the CSR's subject leaked into\n{text}"
        );
        second_parser(cert.der(), &ca, *cert_type);
        findings.extend(pkilint_cert(&leaf));
        findings.extend(chain_lint(&issuing, &leaf));
    }
    findings.sort();
    findings.dedup();
    println!("pkilint findings below ERROR for {algorithm:?}: {findings:#?}");
}

#[test]
fn p256_ca_issues_every_profile() {
    issue_every_profile(KeyAlgorithm::EcdsaP256);
}

#[test]
fn rsa3072_ca_issues_every_profile() {
    issue_every_profile(KeyAlgorithm::Rsa3072);
}

#[test]
fn sm2_ca_issues_every_profile() {
    issue_every_profile(KeyAlgorithm::Sm2);
}

#[test]
fn prepared_certificate_is_what_gets_signed() {
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let public_key = key.public_key().unwrap();
    let profile = Profile::for_cert_type(CertType::OrgMaster);
    let subject = subject();
    let serial = Serial::random();
    let ee = EndEntity {
        serial,
        subject: &subject,
        public_key: &public_key,
        not_before: now(),
        not_after: now() + (24 * 365).hours(),
        profile: &profile,
        urls: &ca.urls,
    };
    let prepared = ca.hierarchy.issuing.prepare(&ee).unwrap();
    assert_eq!(prepared.serial(), serial);
    assert_eq!(prepared.public_key_sha256(), public_key.sha256());
    let issued = ca.hierarchy.issuing.sign(&prepared).unwrap();
    let (_, cert) = X509Certificate::from_der(issued.der()).unwrap();
    assert_eq!(cert.tbs_certificate.as_ref(), prepared.tbs_der());
    assert_eq!(cert.raw_serial(), serial.as_der_content());
}

#[test]
fn raw_id_number_only_when_the_profile_allows_it() {
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let public_key = key.public_key().unwrap();
    let mut profile = Profile::for_cert_type(CertType::Personal);
    profile.subject.push(SubjectField {
        attribute: Attribute::SerialNumber,
        from: Source::IdNumber,
    });
    let mut allowing = profile.clone();
    allowing.raw_id_number = true;
    let subject = subject();
    let ee = |profile| EndEntity {
        serial: Serial::random(),
        subject: &subject,
        public_key: &public_key,
        not_before: now(),
        not_after: now() + 1.hour(),
        profile,
        urls: &ca.urls,
    };
    let without = ca.hierarchy.issuing.prepare(&ee(&profile)).unwrap();
    assert!(
        !without
            .subject()
            .attributes()
            .iter()
            .any(|(a, _)| *a == Attribute::SerialNumber)
    );
    let with = ca.hierarchy.issuing.prepare(&ee(&allowing)).unwrap();
    assert!(
        with.subject()
            .attributes()
            .contains(&(Attribute::SerialNumber, id_number().as_str().to_string()))
    );
}

#[test]
fn missing_subject_data_and_bad_validity_are_refused() {
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let public_key = key.public_key().unwrap();
    let profile = Profile::for_cert_type(CertType::Seal);
    let subject = SubjectData {
        seal_name: None,
        ..support::subject()
    };
    let mut ee = EndEntity {
        serial: Serial::random(),
        subject: &subject,
        public_key: &public_key,
        not_before: now(),
        not_after: now() + 1.hour(),
        profile: &profile,
        urls: &ca.urls,
    };
    assert!(matches!(
        ca.hierarchy.issuing.prepare(&ee),
        Err(CertError::MissingSubjectData("seal_name"))
    ));
    let full = support::subject();
    ee.subject = &full;
    ee.not_after = ee.not_before;
    assert!(matches!(
        ca.hierarchy.issuing.prepare(&ee),
        Err(CertError::BadValidity)
    ));
}

#[test]
fn soft_certificates_come_as_pkcs12_that_openssl_opens() {
    let ca = soft_ca(KeyAlgorithm::EcdsaP256);
    for algorithm in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Sm2,
    ] {
        let key = SoftKey::generate(algorithm).unwrap();
        let cert = ca.issue(CertType::Personal, &key.public_key().unwrap());
        let chain = [
            ca.hierarchy.issuing.certificate().der(),
            ca.hierarchy.root.certificate().der(),
        ];
        let p12 = pkcs12(&key, cert.der(), &chain, "提取密码 1234", "张三").unwrap();
        let path = write(ca.dir.path(), &format!("{algorithm:?}.p12"), &p12);
        let path = path.to_str().unwrap();
        let info = openssl_ok(&[
            "pkcs12",
            "-info",
            "-in",
            path,
            "-passin",
            "pass:提取密码 1234",
            "-noout",
        ]);
        assert!(info.contains("AES-256-CBC"), "{info}");
        assert!(info.contains("sha256"), "{info}");
        let certs = openssl_ok(&[
            "pkcs12",
            "-in",
            path,
            "-passin",
            "pass:提取密码 1234",
            "-nokeys",
        ]);
        assert_eq!(
            certs.matches("-----BEGIN CERTIFICATE-----").count(),
            3,
            "{certs}"
        );
        let keys = openssl_ok(&[
            "pkcs12",
            "-in",
            path,
            "-passin",
            "pass:提取密码 1234",
            "-nocerts",
            "-nodes",
        ]);
        assert!(keys.contains("-----BEGIN PRIVATE KEY-----"), "{keys}");
        let (ok, _) = openssl(&["pkcs12", "-in", path, "-passin", "pass:wrong", "-noout"]);
        assert!(!ok);
    }
}
