//! The USB-key tool against a running certdesk, on SoftHSM2 tokens: `enroll` produces an
//! order's certificate on a token and resumes after an interruption, 延期 renews on the
//! same key, 补办 replaces on a fresh token, 电子签章 carries its seal image and 年检 renews
//! it, 读取 fills in a 信息变更, and certificate login works until the certificate is
//! revoked. Runs on SQLite and PostgreSQL (the testkit's database).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use app::accounts::{self, NewTokenInput};
use domain::account::Role;
use testkit::{Credentials, TestApp};
use token::testing::{MODULE, PIN, softhsm_conf};

/// `certdesk token --module <SoftHSM> --token <label> <args>`, with the PIN and the personal
/// API token in the environment, run off the async runtime (the server answers meanwhile).
async fn tool(conf: &Path, label: &str, api_token: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    c.env("SOFTHSM2_CONF", conf)
        .env("RUST_LOG", "warn")
        .env("CERTDESK_TOKEN_PIN", PIN)
        .env_remove("CERTDESK_API_TOKEN")
        .env_remove("CERTDESK_SERVER")
        .args(["token", "--module", MODULE, "--token", label])
        .args(args);
    if let Some(t) = api_token {
        c.env("CERTDESK_API_TOKEN", t);
    }
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{out}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn refused(o: Output) -> String {
    assert!(
        !o.status.success(),
        "unexpected success:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn api_token(app: &TestApp, who: &Credentials, scopes: &[&str]) -> String {
    let actor = app.actor(who).await;
    accounts::create_token(
        &app.app,
        &actor,
        &NewTokenInput {
            name: "证书助手".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            days: "7".into(),
        },
    )
    .await
    .unwrap()
    .token
}

/// The holder certificates on the token (serials), from `read --json`.
async fn serials_on(conf: &Path, label: &str) -> Vec<String> {
    let out = ok(tool(conf, label, None, &["read", "--json"]).await);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["serial"].as_str().unwrap().to_owned())
        .collect()
}

async fn order(app: &TestApp, who: &Credentials, id: &str) -> serde_json::Value {
    let (status, v) = app
        .api()
        .signed_in(who)
        .await
        .get(&format!("/api/v1/applications/{id}"))
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// A 信息变更 of an e-seal, started (a draft) by `who`.
async fn seal_change_draft(app: &TestApp, who: &app::Actor) -> domain::ids::ApplicationId {
    app::applications::start(
        &app.app,
        who,
        &app::applications::StartInput {
            kind: "change".into(),
            cert_type: "seal".into(),
            channel: "online".into(),
            agree_terms: "yes".into(),
            certificate: String::new(),
        },
    )
    .await
    .unwrap()
}

struct Setup {
    app: TestApp,
    _dir: tempfile::TempDir,
    conf: PathBuf,
    org: testkit::OrgFixture,
    operator_token: String,
    holder_token: String,
}

async fn setup() -> Setup {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm_conf(dir.path(), &["t1", "t2", "t3"]);
    let org = app.register_org().await;
    let operator = app.staff(Role::Operator).await;
    let operator_token = api_token(&app, &operator, &["production"]).await;
    let holder_token =
        api_token(&app, &org.admin, &["production", "applications", "binding"]).await;
    Setup {
        app,
        _dir: dir,
        conf,
        org,
        operator_token,
        holder_token,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_renew_replace_and_login_until_revoked() {
    let s = setup().await;
    let (app, conf, url) = (&s.app, s.conf.as_path(), s.app.url.as_str());
    let server = ["--server", url];

    // 新办 at the service desk, on t1.
    let id = app
        .order_awaiting_production(&s.org, "new", "org_master", "mail", 1, "")
        .await;
    let mut args = vec!["enroll", id.as_str()];
    args.extend(server);
    // The holder's token cannot: 新办 is produced by an operator.
    let e = refused(tool(conf, "t1", Some(&s.holder_token), &args).await);
    assert!(
        e.contains("不能为订单") && e.contains("USB-KEY 未被改动"),
        "{e}"
    );
    assert!(ok(tool(conf, "t1", None, &["read", "--json"]).await).contains("\"certificates\": []"));
    let out = ok(tool(conf, "t1", Some(&s.operator_token), &args).await);
    assert!(
        out.contains("生成新密钥") && out.contains("已写入 USB-KEY"),
        "{out}"
    );
    let first = serials_on(conf, "t1").await;
    assert_eq!(first.len(), 1, "{first:?}");
    let v = order(app, &s.org.admin, &id).await;
    assert_eq!(v["status"], "awaiting_shipment");
    assert_eq!(v["certificates"][0]["serial"], first[0].as_str());
    assert_eq!(
        v["certificates"][0]["token_serial"],
        serde_json::from_str::<serde_json::Value>(&ok(
            tool(conf, "t1", None, &["read", "--json"]).await
        ))
        .unwrap()["token_serial"]
    );
    // Run again: nothing new is issued, the token is as it was.
    let out = ok(tool(conf, "t1", Some(&s.operator_token), &args).await);
    assert!(out.contains("无需重复制证"), "{out}");
    assert_eq!(
        order(app, &s.org.admin, &id).await["certificates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The certificate signs and OCSP (certdesk's own responder) says good.
    let out = ok(tool(
        conf,
        "t1",
        None,
        &[
            "sign-test",
            "--key",
            &format!("certdesk-{}", v["order_number"].as_str().unwrap()),
        ],
    )
    .await);
    assert!(
        out.contains("签名验证通过") && out.contains("测试盖章成功"),
        "{out}"
    );

    // 绑定CA with the holder's token, then 证书登录 at the command line.
    let mut bind = vec!["bind"];
    bind.extend(server);
    let out = ok(tool(conf, "t1", Some(&s.holder_token), &bind).await);
    assert!(out.contains("已绑定到您的账号"), "{out}");
    let mut login = vec!["login"];
    login.extend(server);
    let out = ok(tool(conf, "t1", None, &login).await);
    assert!(out.contains("登录成功"), "{out}");

    // 延期 online by the holder, on the same key.
    let renew = app
        .order_awaiting_production(&s.org, "renew", "org_master", "", 1, &first[0])
        .await;
    let mut args = vec!["enroll", renew.as_str()];
    args.extend(server);
    let out = ok(tool(conf, "t1", Some(&s.holder_token), &args).await);
    assert!(out.contains("沿用原证书"), "{out}");
    let renewed = serials_on(conf, "t1").await;
    assert_eq!(
        renewed.len(),
        1,
        "the renewal replaced the old certificate: {renewed:?}"
    );
    assert_ne!(renewed[0], first[0]);
    // The renewal keeps the binding: login works with the new certificate.
    let out = ok(tool(conf, "t1", None, &login).await);
    assert!(out.contains("登录成功"), "{out}");

    // 补办 of the lost key on a fresh token t2: the old certificate is revoked.
    let replace = app
        .order_awaiting_production(&s.org, "replace", "org_master", "mail", 1, &renewed[0])
        .await;
    let mut args = vec!["enroll", replace.as_str()];
    args.extend(server);
    let out = ok(tool(conf, "t2", Some(&s.operator_token), &args).await);
    assert!(
        out.contains(&format!("原证书 {} 已吊销", renewed[0])),
        "{out}"
    );
    let replacement = serials_on(conf, "t2").await;
    assert_eq!(replacement.len(), 1);

    // The lost key no longer signs in; the replacement does (it carries the binding).
    let e = refused(tool(conf, "t1", None, &login).await);
    assert!(e.contains("该证书已吊销"), "{e}");
    let out = ok(tool(conf, "t2", None, &login).await);
    assert!(out.contains("登录成功"), "{out}");

    // 注销: revoked, and the login is refused.
    let cancel = app
        .order_awaiting_production(&s.org, "cancel", "org_master", "", 1, &replacement[0])
        .await;
    let operator = app.staff(Role::Operator).await;
    let (status, v) = app
        .api()
        .signed_in(&operator)
        .await
        .post(
            &format!("/api/v1/applications/{cancel}/production"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let e = refused(tool(conf, "t2", None, &login).await);
    assert!(e.contains("该证书已吊销"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_resumes_after_an_interruption_and_reports_a_network_failure() {
    let s = setup().await;
    let (app, conf, url) = (&s.app, s.conf.as_path(), s.app.url.as_str());
    let id = app
        .order_awaiting_production(&s.org, "new", "org_master", "mail", 1, "")
        .await;
    let number = order(app, &s.org.admin, &id).await["order_number"]
        .as_str()
        .unwrap()
        .to_owned();

    // The server is unreachable: said plainly, and the token is left as it was.
    let e = refused(
        tool(
            conf,
            "t1",
            Some(&s.operator_token),
            &["enroll", &id, "--server", "http://127.0.0.1:9"],
        )
        .await,
    );
    assert!(e.contains("无法连接服务器"), "{e}");
    assert!(ok(tool(conf, "t1", None, &["read", "--json"]).await).contains("\"certificates\": []"));

    // Interrupted after the key was made and the server issued the certificate, before the
    // answer came back: made here by the same steps the tool takes.
    let label = format!("certdesk-{number}");
    ok(tool(conf, "t1", None, &["keygen", "--label", &label]).await);
    let csr = ok(tool(conf, "t1", None, &["csr", "--key", &label]).await);
    let operator = app.staff(Role::Operator).await;
    let (status, v) = app
        .api()
        .signed_in(&operator)
        .await
        .post(
            &format!("/api/v1/applications/{id}/production"),
            &serde_json::json!({ "csr": csr, "token_serial": "t1" }),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let issued = v["serial"].as_str().unwrap().to_owned();

    // Enroll again, by order number: the certificate is found and installed; nothing new.
    let out = ok(tool(
        conf,
        "t1",
        Some(&s.operator_token),
        &["enroll", &number, "--server", url],
    )
    .await);
    assert!(
        out.contains("上次运行中断") && out.contains(&issued),
        "{out}"
    );
    assert_eq!(serials_on(conf, "t1").await, vec![issued.clone()]);
    assert_eq!(
        order(app, &s.org.admin, &id).await["certificates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A key made but not yet sent: the next run uses it rather than making another.
    let second = app
        .order_awaiting_production(&s.org, "new", "org_master", "mail", 1, "")
        .await;
    let number2 = order(app, &s.org.admin, &second).await["order_number"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(tool(
        conf,
        "t3",
        None,
        &["keygen", "--label", &format!("certdesk-{number2}")],
    )
    .await);
    let out = ok(tool(
        conf,
        "t3",
        Some(&s.operator_token),
        &["enroll", &second, "--server", url],
    )
    .await);
    assert!(out.contains("沿用上次为本订单生成的密钥"), "{out}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(tool(conf, "t3", None, &["list", "--json"]).await)).unwrap();
    let t3 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "t3")
        .unwrap();
    assert_eq!(
        t3["public_keys"].as_array().unwrap().len(),
        1,
        "one key: {t3}"
    );
    assert_eq!(
        t3["certificates"].as_array().unwrap().len(),
        1 + 2,
        "its certificate and the chain: {t3}"
    );

    // Without a personal API token: said plainly.
    let e = refused(tool(conf, "t2", None, &["enroll", &id, "--server", url]).await);
    assert!(e.contains("需要个人令牌"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_e_seal_carries_its_image_and_read_fills_in_a_change() {
    let s = setup().await;
    let (app, conf, url) = (&s.app, s.conf.as_path(), s.app.url.as_str());
    let id = app
        .order_awaiting_production(&s.org, "new", "seal", "mail", 1, "")
        .await;
    let out = ok(tool(
        conf,
        "t1",
        Some(&s.operator_token),
        &["enroll", &id, "--server", url],
    )
    .await);
    assert!(out.contains("印章图片已写入 USB-KEY"), "{out}");
    let seal = serials_on(conf, "t1").await;

    // 年检 renews the seal on the same key, and writes its image again.
    let inspect = app
        .order_awaiting_production(&s.org, "inspect", "seal", "", 1, &seal[0])
        .await;
    let out = ok(tool(
        conf,
        "t1",
        Some(&s.holder_token),
        &["enroll", &inspect, "--server", url],
    )
    .await);
    assert!(
        out.contains("沿用原证书") && out.contains("印章图片已写入"),
        "{out}"
    );
    let renewed = serials_on(conf, "t1").await;
    assert_eq!(renewed.len(), 1);
    assert_ne!(renewed[0], seal[0]);

    // 读取 for a 信息变更: a draft whose certificate the key fills in.
    let holder = app.actor(&s.org.admin).await;
    let change = seal_change_draft(app, &holder).await;
    let out = ok(tool(
        conf,
        "t1",
        Some(&s.holder_token),
        &["read", "--server", url, "--order", &change.to_text()],
    )
    .await);
    assert!(
        out.contains(&renewed[0]) && out.contains(&s.org.name),
        "{out}"
    );
    let v = order(app, &s.org.admin, &change.to_text()).await;
    assert_eq!(v["form"]["certificate_serial"], renewed[0].as_str());
    // A key of another organisation's is not this order's.
    let other = app.register_org().await;
    let theirs = api_token(app, &other.admin, &["applications"]).await;
    let draft = seal_change_draft(app, &app.actor(&other.admin).await).await;
    let e = refused(
        tool(
            conf,
            "t1",
            Some(&theirs),
            &["read", "--server", url, "--order", &draft.to_text()],
        )
        .await,
    );
    assert!(e.contains("不属于本订单的单位"), "{e}");

    // 信息变更 produced online by the holder: a new key, the old certificate superseded.
    let changed = app
        .order_awaiting_production(&s.org, "change", "seal", "", 1, &renewed[0])
        .await;
    let out = ok(tool(
        conf,
        "t1",
        Some(&s.holder_token),
        &["enroll", &changed, "--server", url],
    )
    .await);
    assert!(
        out.contains("生成新密钥") && out.contains(&format!("原证书 {} 已吊销", renewed[0])),
        "{out}"
    );
    assert!(out.contains("印章图片已写入"), "{out}");
    let now_on = serials_on(conf, "t1").await;
    assert_eq!(
        now_on.len(),
        2,
        "the new key's certificate beside the superseded one: {now_on:?}"
    );
}
