//! A throwaway moto server (a Python S3 emulator that checks request signatures) per test.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// How long moto may take to import and start listening on a busy two-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `python3 -m moto.server`, killed on drop.
///
/// The module is run through `python3 -m` rather than the `moto_server` script so that a pip
/// install into any user or pyenv site works without its script folder being on PATH.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    http: reqwest::Client,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        })
    }
}

/// Credentials of an IAM user that may do anything with S3.
pub struct Account {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Moto {
    /// `None` (after saying so) when moto is not installed and this is not CI; in CI a missing
    /// moto fails the test, since the S3 backend would otherwise go untested unnoticed.
    pub async fn start() -> Option<Moto> {
        Moto::start_with(Scheme::Http).await
    }

    /// Served over https with a self-signed certificate, which no client should trust.
    pub async fn start_with_untrusted_tls() -> Option<Moto> {
        Moto::start_with(Scheme::Https).await
    }

    async fn start_with(scheme: Scheme) -> Option<Moto> {
        if !moto_installed() {
            if std::env::var_os("CI").is_some_and(|value| !value.is_empty()) {
                panic!(
                    "moto_server not installed (python3 -c 'import moto.server' fails) and CI is \
                     set: install it with python3 -m pip install 'moto[server]' (scripts/test.sh does)"
                );
            }
            eprintln!(
                "skipped: moto_server not installed (python3 -m pip install 'moto[server]'); \
                 the S3 backend was not tested"
            );
            return None;
        }
        let http = reqwest::Client::builder()
            // Only the probe and setup requests: the store under test verifies certificates.
            .tls_danger_accept_invalid_certs(true)
            .build()
            .expect("HTTP client");
        // The port is free when asked for but may be taken before moto binds it; try again then.
        for _ in 0..3 {
            let port = free_port();
            let port_text = port.to_string();
            let mut args = vec!["-m", "moto.server", "-H", "127.0.0.1", "-p", &port_text];
            if scheme == Scheme::Https {
                args.push("--ssl");
            }
            let child = Command::new("python3")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start python3 -m moto.server");
            let mut moto = Moto {
                child,
                endpoint: format!("{scheme}://127.0.0.1:{port}"),
                http: http.clone(),
            };
            if moto.wait_until_ready().await {
                return Some(moto);
            }
        }
        panic!("moto did not start in three attempts");
    }

    async fn wait_until_ready(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let probe = self
                .http
                .get(format!("{}/moto-api/", self.endpoint))
                .send()
                .await;
            if probe.is_ok_and(|response| response.status().is_success()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not answer within {START_TIMEOUT:?}");
    }

    /// Creates an IAM user allowed `s3:*` and returns its access key. Runs while moto still
    /// accepts unauthenticated requests; IAM calls are routed by the service named in an
    /// `Authorization` header, so a dummy one is sent.
    pub async fn create_account(&self) -> Account {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        self.iam("Action=CreateUser&UserName=certdesk").await;
        let created = self.iam("Action=CreateAccessKey&UserName=certdesk").await;
        self.iam(&format!(
            "Action=PutUserPolicy&UserName=certdesk&PolicyName=s3&PolicyDocument={}",
            form_encode(policy)
        ))
        .await;
        Account {
            access_key_id: between(&created, "<AccessKeyId>", "</AccessKeyId>"),
            secret_access_key: between(&created, "<SecretAccessKey>", "</SecretAccessKey>"),
        }
    }

    async fn iam(&self, form: &str) -> String {
        let response = self
            .http
            .post(&self.endpoint)
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{form}&Version=2010-05-08"))
            .send()
            .await
            .expect("IAM request to moto");
        let status = response.status();
        let body = response.text().await.expect("IAM answer");
        assert_eq!(status, StatusCode::OK, "IAM {form}: {body}");
        body
    }

    /// Sends an S3 request with a dummy signature, which moto accepts only while
    /// authentication is off. (Without any `Authorization` it would be an anonymous request,
    /// which moto refuses on objects that belong to an account.)
    pub async fn unchecked(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.endpoint))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/s3/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body)
            .send()
            .await
            .expect("unsigned request to moto")
    }

    /// With authentication on, moto checks every request's signature against the IAM user's
    /// secret, which is what makes these tests a test of the hand-written SigV4 signing.
    pub async fn set_authentication(&self, on: bool) {
        // The number of requests still let through without a signature.
        let free_requests = if on { "0" } else { "inf" };
        let response = self
            .http
            .post(format!("{}/moto-api/reset-auth", self.endpoint))
            .header("content-type", "text/plain")
            .body(free_requests)
            .send()
            .await
            .expect("moto reset-auth");
        assert_eq!(response.status(), StatusCode::OK);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let (_, rest) = text
        .split_once(start)
        .unwrap_or_else(|| panic!("{start} in {text}"));
    let (value, _) = rest
        .split_once(end)
        .unwrap_or_else(|| panic!("{end} in {text}"));
    value.to_owned()
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
