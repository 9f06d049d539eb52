//! The `certdesk` binary as a newcomer and an operator use it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use store::testing::TestDb;

fn certdesk(db: &TestDb, data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    c.arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(db.url())
        .env("RUST_LOG", "warn")
        .env_remove("CERTDESK_LISTEN")
        .env_remove("CERTDESK_DATABASE_URL");
    c
}

#[tokio::test]
async fn migrate_then_create_a_staff_account() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let out = certdesk(&db, dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = certdesk(&db, dir.path())
        .args([
            "admin",
            "create-user",
            "--role",
            "reviewer",
            "--mobile",
            "13900001111",
            "--name",
            "审核员甲",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("initial password"), "{stdout}");

    // The same mobile again: refused, saying why, in Chinese, naming the option.
    let out = certdesk(&db, dir.path())
        .args([
            "admin",
            "create-user",
            "--role",
            "finance",
            "--mobile",
            "13900001111",
            "--name",
            "财务乙",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--mobile: 该手机号码已注册"), "{stderr}");

    // A password from standard input is used as given.
    let mut child = certdesk(&db, dir.path())
        .args([
            "admin",
            "create-user",
            "--role",
            "admin",
            "--mobile",
            "13900002222",
            "--name",
            "管理员",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Admin-pass1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("initial password"));
}

#[tokio::test]
async fn demo_seed_runs_once() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let out = certdesk(&db, dir.path())
        .args(["demo", "seed"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for label in ["admin", "reviewer", "operator", "finance", "applicant"] {
        assert!(stdout.contains(label), "{label} missing: {stdout}");
    }
    assert!(dir.path().join("demo-accounts.txt").exists());
    let again = certdesk(&db, dir.path())
        .args(["demo", "seed"])
        .output()
        .unwrap();
    assert!(!again.status.success());
}

/// What the README's first command does: serve, seed demo accounts on first start,
/// print them, and let each of them sign in.
#[tokio::test]
async fn serve_starts_a_working_demo() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = certdesk(&db, dir.path())
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
    let mut accounts = Vec::new();
    let mut url = None;
    while url.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve printed its address");
        if let Some(rest) = line.split("password: ").nth(1) {
            let mobile = line
                .split_whitespace()
                .find(|w| w.len() == 11 && w.starts_with("139"))
                .unwrap();
            accounts.push((mobile.to_owned(), rest.trim().to_owned()));
        }
        if let Some(at) = line.find("http://") {
            url = Some(line[at..].split_whitespace().next().unwrap().to_owned());
        }
    }
    let url = url.unwrap();
    assert!(accounts.len() >= 5, "demo accounts printed: {accounts:?}");
    let http = reqwest::Client::new();
    let health = http.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    for (mobile, password) in &accounts {
        let res = http
            .post(format!("{url}/api/v1/sessions"))
            .json(&serde_json::json!({"mobile": mobile, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "demo account {mobile} cannot sign in");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_mistake_in_smtp_stops_serve_naming_the_setting() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("certdesk.toml");
    std::fs::write(&config, "[smtp]\nhost = \"smtp.example.cn\"\n").unwrap();
    let out = certdesk(&db, dir.path())
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("CERTDESK_SMTP__PASSWORD")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("smtp.from"), "{stderr}");
}

/// `serve` with `config` written to certdesk.toml: it must stop, and say `setting`.
async fn serve_refuses(config: &str, setting: &str) {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("certdesk.toml");
    std::fs::write(
        &file,
        config.replace("{dir}", &dir.path().display().to_string()),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("not-a-key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let out = certdesk(&db, dir.path())
        .arg("--config")
        .arg(&file)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started with {config}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(setting), "{setting} in {stderr}");
}

#[tokio::test]
async fn missing_or_malformed_payment_keys_stop_serve_naming_the_setting() {
    serve_refuses(
        "[payments]\nproviders = [\"paypal\"]\n",
        "payments.providers",
    )
    .await;
    serve_refuses("[payments]\nproviders = [\"wechat\"]\n", "payments.wechat").await;
    serve_refuses(
        "[payments]\nproviders = [\"sandbox\", \"alipay\"]\n[payments.alipay]\napp_id = \"2021000000000000\"\n\
         seller_id = \"2088000000000000\"\nprivate_key_file = \"{dir}/not-a-key.pem\"\n\
         alipay_public_key_file = \"{dir}/not-a-key.pem\"\n",
        "payments.alipay.private_key_file",
    )
    .await;
    serve_refuses(
        "[payments]\nproviders = [\"wechat\"]\n[payments.wechat]\nmchid = \"1900000001\"\nappid = \"wx0000000000000001\"\n\
         merchant_serial_no = \"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\"\n\
         private_key_file = \"{dir}/missing.pem\"\napi_v3_key_env = \"CERTDESK_TEST_NO_SUCH_VAR\"\n\
         public_key_id = \"PUB_KEY_ID_0000\"\npublic_key_file = \"{dir}/not-a-key.pem\"\n",
        "payments.wechat.",
    )
    .await;
}

#[tokio::test]
async fn serve_with_smtp_sends_the_outbox() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let store = db.store().await;
    store.migrate().await.unwrap();
    {
        let mut conn = store.conn().await.unwrap();
        store::notifications::enqueue_mail(
            &mut conn,
            jiff::Timestamp::now(),
            "zhangsan@example.cn",
            "【CA证书办理】订单 CA20261121000001 待初审",
            "您好",
        )
        .await
        .unwrap();
    }
    let mut server = mail::testing::TestServer::start(mail::testing::Behaviour::default()).await;
    let config = dir.path().join("certdesk.toml");
    std::fs::write(
        &config,
        format!(
            "demo = false\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"certdesk <noreply@example.cn>\"\ninterval_secs = 1\n",
            server.port
        ),
    )
    .unwrap();
    let mut child = certdesk(&db, dir.path())
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("CERTDESK_SMTP__PASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut received = Vec::new();
    for _ in 0..300 {
        received.extend(server.take_all());
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(received.len(), 1, "the queued mail was sent");
    assert_eq!(received[0].rcpt_to, vec!["zhangsan@example.cn".to_string()]);
    // The server took the message before answering; the sender records it after.
    let mut sent = Vec::new();
    for _ in 0..100 {
        let mut conn = store.conn().await.unwrap();
        sent = store::outbox::list_recent(&mut conn, Some(store::outbox::MailStatus::Sent), 10)
            .await
            .unwrap();
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(sent.len(), 1, "recorded as sent");
    assert!(server.take_all().is_empty(), "sent once");
}
