//! Micro-benchmark of the CA's hot paths, one thread, no HTTP, no storage:
//! `cargo bench -p certdesk-pki`. Figures go in crates/pki/README.md.
//!
//! CSRs and OCSP requests are made once by the `openssl` command, as the tests do.
//! Under `cargo test --all-targets` (no `--bench` argument) it runs each step once, with a
//! 1,000-entry CRL, so CI checks it still works without spending minutes on it.

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::application::CertType;
use domain::ident::Uscc;
use jiff::{Timestamp, ToSpan};
use pki::ocsp::{CertStatus, OcspRequest, Responder, SingleResponse};
use pki::{
    CrlInfo, Csr, DistinguishedName, EndEntity, HierarchySetup, KeyAlgorithm, Organisation,
    Profile, RevocationReason, Revoked, Serial, SoftKey, SubjectData, Urls, create_hierarchy,
};

/// Runs `f` repeatedly for about `budget` and prints operations per second.
fn rate(name: &str, budget: Duration, mut f: impl FnMut()) {
    f(); // warm up, and the only run in smoke mode
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    if n == 0 {
        println!("{name:<44} ran once (smoke mode)");
    } else {
        println!(
            "{name:<44} {:>10.0} /s   ({n} in {secs:.2} s)",
            n as f64 / secs
        );
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn csr(dir: &std::path::Path, name: &str, key: &[&str], req: &[&str]) -> Vec<u8> {
    let k = dir.join(format!("{name}.key"));
    let c = dir.join(format!("{name}.csr"));
    let mut a = vec!["genpkey"];
    a.extend(key);
    a.extend(["-out", k.to_str().unwrap_or_default()]);
    openssl(&a);
    let mut a = vec![
        "req",
        "-new",
        "-key",
        k.to_str().unwrap_or_default(),
        "-subj",
        "/CN=bench",
        "-outform",
        "DER",
    ];
    a.extend(req);
    a.extend(["-out", c.to_str().unwrap_or_default()]);
    openssl(&a);
    std::fs::read(c).expect("csr")
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let budget = if full {
        Duration::from_millis(1500)
    } else {
        Duration::ZERO
    };
    let crl_entries: u64 = if full { 1_000_000 } else { 1_000 };
    let dir = std::env::temp_dir().join(format!("certdesk-pki-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let now = Timestamp::from_second(Timestamp::now().as_second()).expect("now");

    println!("== CSR parse + verify (proof of possession)");
    for (name, key, req) in [
        (
            "P-256 / SHA-256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            &["-sha256"][..],
        ),
        (
            "RSA-2048 / SHA-256",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"][..],
            &["-sha256"][..],
        ),
        (
            "SM2 / SM3 (GM/T id)",
            &["-algorithm", "SM2"][..],
            &["-sm3", "-sigopt", "distid:1234567812345678"][..],
        ),
    ] {
        let der = csr(&dir, "c", key, req);
        rate(&format!("Csr::parse {name}"), budget, || {
            black_box(Csr::parse(black_box(&der)).expect("csr"));
        });
    }

    let org = Organisation {
        name: "郑州市某某建设工程有限公司".into(),
        code: domain::organisation::CreditCode::Uscc(
            Uscc::parse(&format!(
                "91110108MA01ABCD1{}",
                Uscc::check_char("91110108MA01ABCD1").unwrap_or('0')
            ))
            .expect("uscc"),
        ),
    };
    let subject = SubjectData {
        organisation: Some(org),
        person_name: Some("张三".into()),
        seal_name: None,
        id_number: None,
    };
    let urls = Urls::from_base("https://certdesk.example/");
    let profile = Profile::for_cert_type(CertType::OrgStaff);
    let leaf_key = SoftKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let leaf_public = leaf_key.public_key().expect("public key");

    println!("== Issue (prepare + sign) an end-entity certificate");
    let mut p256_ca = None;
    for alg in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Sm2,
    ] {
        let setup = HierarchySetup::new(
            DistinguishedName::new()
                .country("CN")
                .common_name("Bench Root"),
            DistinguishedName::new()
                .country("CN")
                .common_name("Bench Issuing"),
            Arc::new(SoftKey::generate(alg).expect("root")),
            Arc::new(SoftKey::generate(alg).expect("issuing")),
            now,
        );
        let h = create_hierarchy(setup).expect("hierarchy");
        rate(&format!("issue, {alg:?} CA"), budget, || {
            let ee = EndEntity {
                serial: Serial::random(),
                subject: &subject,
                public_key: &leaf_public,
                not_before: now,
                not_after: now + (24 * 365).hours(),
                profile: &profile,
                urls: &urls,
            };
            black_box(h.issuing.issue(&ee).expect("issue"));
        });
        if alg == KeyAlgorithm::EcdsaP256 {
            p256_ca = Some(h);
        }
    }
    let h = p256_ca.expect("P-256 CA");

    println!("== CRL of {crl_entries} entries, P-256 issuing CA, including the signature");
    let entries: Vec<Revoked> = (0..crl_entries)
        .map(|i| {
            let mut b = [0u8; 16];
            b[0] = 0x40;
            b[8..].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
            Revoked {
                serial: Serial::from_unsigned_bytes(&b).expect("serial"),
                revoked_at: now - (i as i64 % 10_000).minutes(),
                reason: match i % 4 {
                    0 => RevocationReason::KeyCompromise,
                    1 => RevocationReason::Superseded,
                    2 => RevocationReason::CessationOfOperation,
                    _ => RevocationReason::Unspecified,
                },
            }
        })
        .collect();
    let info = CrlInfo {
        number: 1,
        this_update: now,
        next_update: now + (7 * 24).hours(),
    };
    for run in 1..=if full { 3 } else { 1 } {
        let start = Instant::now();
        let crl = h.issuing.crl(&info, entries.iter().copied()).expect("crl");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "crl, {crl_entries} entries (run {run})               {secs:>10.3} s    ({:.1} MB DER)",
            crl.len() as f64 / 1e6
        );
        if run == 1 {
            std::fs::write(dir.join("million.crl"), &crl).expect("write crl");
        }
    }

    println!("== OCSP");
    std::fs::write(dir.join("issuing.pem"), h.issuing.certificate().to_pem()).expect("write");
    let req_path = dir.join("req.der");
    openssl(&[
        "ocsp",
        "-issuer",
        dir.join("issuing.pem").to_str().unwrap_or_default(),
        "-serial",
        "0x0102030405060708090A0B0C0D0E0F10",
        "-reqout",
        req_path.to_str().unwrap_or_default(),
    ]);
    let req = std::fs::read(&req_path).expect("req");
    let ids = h.issuing.issuer_ids().expect("ids");
    rate("OcspRequest::parse + issuer match", budget, || {
        let r = OcspRequest::parse(black_box(&req)).expect("parse");
        black_box(ids.matches(&r.cert_ids()[0]));
    });
    let responder_key = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).expect("key"));
    let responder_cert = h
        .issuing
        .issue_ocsp_responder(
            Serial::random(),
            &DistinguishedName::new()
                .country("CN")
                .common_name("Bench OCSP"),
            &responder_key.public_key().expect("pk"),
            now,
            now + (24 * 90).hours(),
        )
        .expect("responder");
    let responder = Responder::new(&responder_cert, responder_key).expect("responder");
    let parsed = OcspRequest::parse(&req).expect("parse");
    rate(
        "Responder::sign (P-256), one SingleResponse",
        budget,
        || {
            let single = SingleResponse {
                cert_id: parsed.cert_ids()[0],
                status: CertStatus::Good,
                this_update: now,
                next_update: Some(now + 24.hours()),
            };
            black_box(responder.sign(&single, now, None).expect("sign"));
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}
