//! Test helpers (feature `testing`): SoftHSM2 tokens, a P-256 test CA issuing through pki,
//! and a tiny HTTP OCSP responder, for this crate's tests and the CLI's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use domain::application::CertType;
use domain::ident::Uscc;
use domain::organisation::CreditCode;
use jiff::{Timestamp, ToSpan};
use pki::ocsp::{CertStatus, OcspRequest, Responder, SingleResponse};
use pki::{
    DistinguishedName, EndEntity, Hierarchy, HierarchySetup, KeyAlgorithm, Organisation, Profile,
    PublicKey, RevocationReason, Serial, SoftKey, SubjectData, Urls, create_hierarchy,
};

/// Debian's SoftHSM2 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The user PIN of every test token.
pub const PIN: &str = "1234";

/// A SoftHSM2 configuration under `dir` with one initialised token per label
/// (PIN 1234, SO PIN 5678).
pub fn softhsm_conf(dir: &Path, labels: &[&str]) -> PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    for label in labels {
        let init = Command::new("softhsm2-util")
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                "5678",
            ])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util must be installed (apt-get install softhsm2)");
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    conf
}

pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).unwrap()
}

pub fn uscc() -> Uscc {
    let first17 = "91410100MA01ABCD1";
    let check = Uscc::check_char(first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

/// A P-256 root and issuing CA (soft keys) whose certificates point at `base_url`.
pub struct TestCa {
    pub hierarchy: Hierarchy,
    pub urls: Urls,
}

impl TestCa {
    pub fn new(base_url: &str) -> TestCa {
        let name = |cn: &str| {
            DistinguishedName::new()
                .country("CN")
                .organisation("certdesk 测试数字认证中心")
                .common_name(cn)
        };
        let setup = HierarchySetup::new(
            name("certdesk Root CA"),
            name("certdesk Issuing CA"),
            Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap()),
            Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap()),
            now() - 1.hour(),
        );
        TestCa {
            hierarchy: create_hierarchy(setup).unwrap(),
            urls: Urls::from_base(base_url),
        }
    }

    /// An organisation certificate (单位主锁) for `key`, valid from `not_before` for a year.
    pub fn issue_at(&self, key: &PublicKey, not_before: Timestamp) -> Vec<u8> {
        let profile = Profile::for_cert_type(CertType::OrgMaster);
        let subject = SubjectData {
            organisation: Some(Organisation {
                name: "郑州市某某建设工程有限公司".into(),
                code: CreditCode::Uscc(uscc()),
            }),
            ..SubjectData::default()
        };
        let ee = EndEntity {
            serial: Serial::random(),
            subject: &subject,
            public_key: key,
            not_before,
            not_after: not_before + (365 * 24).hours(),
            profile: &profile,
            urls: &self.urls,
        };
        self.hierarchy.issuing.issue(&ee).unwrap().into_der()
    }

    pub fn issue(&self, key: &PublicKey) -> Vec<u8> {
        self.issue_at(key, now() - 1.minute())
    }

    /// Issuing CA then root, DER.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![
            self.hierarchy.issuing.certificate().der().to_vec(),
            self.hierarchy.root.certificate().der().to_vec(),
        ]
    }

    /// A delegated OCSP responder of the issuing CA.
    pub fn responder(&self) -> Responder {
        let key = Arc::new(SoftKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let der = self
            .hierarchy
            .issuing
            .issue_ocsp_responder(
                Serial::random(),
                &DistinguishedName::new()
                    .country("CN")
                    .common_name("certdesk OCSP Responder"),
                &key.public_key().unwrap(),
                now() - 1.hour(),
                now() + (90 * 24).hours(),
            )
            .unwrap();
        Responder::new(&der, key).unwrap()
    }
}

/// What the test responder answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Good,
    Revoked(RevocationReason),
    Unknown,
}

/// A one-request-at-a-time HTTP server answering OCSP POSTs with `responder`.
pub struct OcspServer {
    pub base_url: String,
    pub answer: Arc<Mutex<Answer>>,
    pub responder: Arc<Mutex<Option<Responder>>>,
}

impl OcspServer {
    pub fn start() -> OcspServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(Answer::Good));
        let responder: Arc<Mutex<Option<Responder>>> = Arc::new(Mutex::new(None));
        let (a, r) = (answer.clone(), responder.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = serve_one(stream, &a, &r);
            }
        });
        OcspServer {
            base_url,
            answer,
            responder,
        }
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

fn serve_one(
    stream: TcpStream,
    answer: &Mutex<Answer>,
    responder: &Mutex<Option<Responder>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let reply = match OcspRequest::parse(&body) {
        Ok(req) => {
            let status = match *answer.lock().unwrap() {
                Answer::Good => CertStatus::Good,
                Answer::Revoked(reason) => CertStatus::Revoked {
                    at: now() - 10.minutes(),
                    reason,
                },
                Answer::Unknown => CertStatus::Unknown,
            };
            let single = SingleResponse {
                cert_id: req.cert_ids()[0],
                status,
                this_update: now() - 1.minute(),
                next_update: Some(now() + 1.hour()),
            };
            let responder = responder.lock().unwrap();
            responder
                .as_ref()
                .expect("responder set")
                .sign(&single, now(), req.nonce())
                .unwrap()
        }
        Err(e) => e.response().to_vec(),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    )?;
    stream.write_all(&reply)?;
    stream.flush()
}

/// A minimal blocking HTTP POST (the library leaves the transport to its caller).
pub fn http_post(url: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let rest = url.strip_prefix("http://").ok_or("http only")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = TcpStream::connect(host).map_err(|e| e.to_string())?;
    write!(
        s,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    s.read_to_end(&mut all).map_err(|e| e.to_string())?;
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header end")?;
    Ok(all[split + 4..].to_vec())
}

/// Runs openssl; returns success and stdout + stderr.
pub fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
