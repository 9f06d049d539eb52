//! Shared helpers for the pki tests: a CA per algorithm, sample subjects, and thin
//! wrappers around the independent tools that check our output (openssl, pkilint).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use domain::application::CertType;
use domain::ident::{IdNumber, Uscc};
use domain::organisation::CreditCode;
use jiff::{Timestamp, ToSpan};
use pki::{
    DistinguishedName, EndEntity, Hierarchy, HierarchySetup, IssuedCertificate, KeyAlgorithm,
    Organisation, Profile, PublicKey, Serial, SoftKey, SubjectData, Urls, create_hierarchy,
};
use tempfile::TempDir;

pub const BASE_URL: &str = "https://certdesk.example/";

/// A CA hierarchy with its certificates written out for openssl.
pub struct TestCa {
    pub algorithm: KeyAlgorithm,
    pub hierarchy: Hierarchy,
    pub dir: TempDir,
    pub root_pem: PathBuf,
    pub issuing_pem: PathBuf,
    pub urls: Urls,
}

pub fn now() -> Timestamp {
    // Whole seconds: certificates carry no fractions.
    Timestamp::from_second(Timestamp::now().as_second()).unwrap()
}

pub fn root_name() -> DistinguishedName {
    DistinguishedName::new()
        .country("CN")
        .organisation("certdesk 测试数字认证中心")
        .common_name("certdesk Root CA")
}

pub fn issuing_name() -> DistinguishedName {
    DistinguishedName::new()
        .country("CN")
        .organisation("certdesk 测试数字认证中心")
        .common_name("certdesk Issuing CA")
}

pub fn soft_ca(algorithm: KeyAlgorithm) -> TestCa {
    let root = Arc::new(SoftKey::generate(algorithm).unwrap());
    let issuing = Arc::new(SoftKey::generate(algorithm).unwrap());
    ca_with_keys(algorithm, root, issuing)
}

pub fn ca_with_keys(
    algorithm: KeyAlgorithm,
    root: Arc<dyn pki::Signer>,
    issuing: Arc<dyn pki::Signer>,
) -> TestCa {
    let setup = HierarchySetup::new(root_name(), issuing_name(), root, issuing, now() - 1.hour());
    let hierarchy = create_hierarchy(setup).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root_pem = write(
        dir.path(),
        "root.pem",
        hierarchy.root.certificate().to_pem().as_bytes(),
    );
    let issuing_pem = write(
        dir.path(),
        "issuing.pem",
        hierarchy.issuing.certificate().to_pem().as_bytes(),
    );
    TestCa {
        algorithm,
        hierarchy,
        dir,
        root_pem,
        issuing_pem,
        urls: Urls::from_base(BASE_URL),
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn uscc() -> Uscc {
    let first17 = "91110108MA01ABCD1";
    let check = Uscc::check_char(first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

pub fn id_number() -> IdNumber {
    let first17 = "11010519491231002";
    let check = IdNumber::check_char(first17).unwrap();
    IdNumber::parse(&format!("{first17}{check}")).unwrap()
}

pub fn subject() -> SubjectData {
    SubjectData {
        organisation: Some(Organisation {
            name: "郑州市某某建设工程有限公司".into(),
            code: CreditCode::Uscc(uscc()),
        }),
        person_name: Some("张三".into()),
        seal_name: Some("郑州市某某建设工程有限公司合同专用章".into()),
        id_number: Some(id_number()),
    }
}

impl TestCa {
    pub fn issue(&self, cert_type: CertType, public_key: &PublicKey) -> IssuedCertificate {
        let profile = Profile::for_cert_type(cert_type);
        let subject = subject();
        let ee = EndEntity {
            serial: Serial::random(),
            subject: &subject,
            public_key,
            not_before: now() - 1.minute(),
            not_after: now() + (365 * 24).hours(),
            profile: &profile,
            urls: &self.urls,
        };
        self.hierarchy.issuing.issue(&ee).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `openssl verify` of a leaf against root + issuing.
    pub fn openssl_verify(&self, leaf: &Path) -> String {
        let root = self.root_pem.to_str().unwrap();
        let issuing = self.issuing_pem.to_str().unwrap();
        let leaf = leaf.to_str().unwrap();
        let mut args = vec!["verify"];
        if self.algorithm == KeyAlgorithm::Sm2 {
            args.extend(["-vfyopt", "distid:1234567812345678"]);
        }
        args.extend(["-CAfile", root, "-untrusted", issuing, leaf]);
        openssl_ok(&args)
    }

    /// An OCSP responder certificate and key, issued by the issuing CA.
    pub fn responder(&self) -> (Vec<u8>, Arc<SoftKey>) {
        let key = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let name = DistinguishedName::new()
            .country("CN")
            .organisation("certdesk 测试数字认证中心")
            .common_name("certdesk OCSP Responder");
        let der = self
            .hierarchy
            .issuing
            .issue_ocsp_responder(
                Serial::random(),
                &name,
                &key.public_key().unwrap(),
                now() - 1.hour(),
                now() + (90 * 24).hours(),
            )
            .unwrap();
        (der, key)
    }
}

/// Runs openssl; returns success and stdout + stderr.
pub fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub fn openssl_ok(args: &[&str]) -> String {
    let (ok, text) = openssl(args);
    assert!(ok, "openssl {} failed:\n{text}", args.join(" "));
    text
}

/// A key and CSR made by openssl. `key_args` go to `genpkey`; `req_args` to `req`.
pub fn openssl_csr(dir: &Path, name: &str, key_args: &[&str], req_args: &[&str]) -> Vec<u8> {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let mut args = vec!["genpkey"];
    args.extend(key_args);
    args.extend(["-out", key.to_str().unwrap()]);
    openssl_ok(&args);
    let mut args = vec![
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=ignored by the CA",
    ];
    args.extend(req_args);
    args.extend(["-outform", "DER", "-out", csr.to_str().unwrap()]);
    openssl_ok(&args);
    std::fs::read(csr).unwrap()
}

/// Runs pkilint's RFC 5280 linter on a PEM certificate; panics on ERROR or FATAL findings
/// and returns the other findings (warnings, notices, info) as lines.
pub fn pkilint_cert(path: &Path) -> Vec<String> {
    pkilint("lint_pkix_cert", &["lint", "-s", "INFO"], path)
}

pub fn pkilint(tool: &str, args: &[&str], path: &Path) -> Vec<String> {
    let out = Command::new(tool)
        .args(args)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed (pip install pkilint): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("(ERROR)") && !text.contains("(FATAL)") && !text.contains("Traceback"),
        "{tool} found errors in {}:\n{text}",
        path.display()
    );
    text.lines()
        .filter(|l| l.contains('('))
        .map(|l| l.trim().to_string())
        .collect()
}
