//! `certdesk ca init` and the CA in `serve`, as an operator meets them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use store::testing::TestDb;

fn certdesk(db: &TestDb, data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    c.arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(db.url())
        .current_dir(data_dir)
        .env("RUST_LOG", "warn")
        .env_remove("CERTDESK_LISTEN")
        .env_remove("CERTDESK_DATABASE_URL")
        .env_remove("CERTDESK_CA__PASSPHRASE");
    c
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn ca_init_creates_the_ca_once_and_never_reads_a_passphrase_from_the_file() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();

    // No passphrase: refused, saying where to put one.
    let out = certdesk(&db, dir.path())
        .args(["ca", "init"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("CERTDESK_CA__PASSPHRASE"),
        "{}",
        text(&out)
    );

    // A passphrase written in certdesk.toml: refused with a message.
    let config = dir.path().join("certdesk.toml");
    std::fs::write(&config, "[ca]\npassphrase = \"in-the-file\"\n").unwrap();
    let out = certdesk(&db, dir.path())
        .arg("--config")
        .arg(&config)
        .args(["ca", "init"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("ca.passphrase must not be written in"), "{t}");

    // From the environment: created.
    std::fs::write(&config, "[ca]\norganisation = \"测试CA\"\n").unwrap();
    let out = certdesk(&db, dir.path())
        .arg("--config")
        .arg(&config)
        .args(["ca", "init"])
        .env("CERTDESK_CA__PASSPHRASE", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("CA created"), "{}", text(&out));

    // Twice: refused.
    let out = certdesk(&db, dir.path())
        .args(["ca", "init", "--algorithm", "sm2"])
        .env("CERTDESK_CA__PASSPHRASE", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("a CA exists"), "{}", text(&out));

    // serve with the wrong passphrase stops, naming the setting.
    let out = certdesk(&db, dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--no-demo"])
        .env("CERTDESK_CA__PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("wrong CA passphrase"), "{}", text(&out));
}

/// Starts `serve`, returns the child and its URL once printed, with every line before it.
/// The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn serve(mut command: Command) -> (std::process::Child, String, Vec<String>) {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve printed its address");
        let url = line.find("running at http://").map(|at| {
            line[at + 11..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned()
        });
        lines.push(line);
        if let Some(url) = url {
            return (child, url, lines);
        }
    }
}

#[tokio::test]
async fn serve_without_a_ca_says_so_and_the_ca_routes_answer_503() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = certdesk(&db, dir.path());
    c.arg("--no-demo");
    let (mut child, url, lines) = serve(c);
    assert!(
        lines.iter().any(|l| l.contains("certdesk ca init")),
        "{lines:?}"
    );
    for path in ["/ca/root.crt", "/crl/issuing.crl"] {
        let r = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(r.status(), 503, "{path}");
        assert!(r.text().await.unwrap().contains("not initialised"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn the_demo_creates_its_ca_on_first_start_and_opens_it_on_the_next() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, lines) = serve(certdesk(&db, dir.path()));
    assert!(
        lines.iter().any(|l| l.contains("ca-passphrase")),
        "{lines:?}"
    );
    let file = dir.path().join("ca-passphrase");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let root = reqwest::get(format!("{url}/ca/root.crt")).await.unwrap();
    assert_eq!(root.status(), 200);
    let root = root.bytes().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    // The next start opens the same CA with the passphrase from the file.
    let (mut child, url, lines) = serve(certdesk(&db, dir.path()));
    assert!(lines.iter().any(|l| l.contains("CA loaded")), "{lines:?}");
    let again = reqwest::get(format!("{url}/ca/root.crt")).await.unwrap();
    assert_eq!(again.bytes().await.unwrap(), root);
    child.kill().unwrap();
    child.wait().unwrap();
}
