//! 个人令牌, 绑定CA and 证书登录 (CA登录) over HTTP only: the pages `/account/tokens`,
//! `/account/certificates` and `/signin/certificate`, and the API a personal token or the
//! USB-key tool calls. The tool's part is played by openssl: it signs the challenge's
//! message with the key the certificate was issued for (made by openssl, certified by 制证
//! through the production API), as a USB-key would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use base64::Engine as _;
use domain::account::Role;
use jiff::SignedDuration;
use serde_json::{Value, json};
use testkit::openssl::{p256_csr as csr, run as openssl};
use testkit::{ApiClient, OrgFixture, Page, TestApp};

const NAME_REQUIRED: &str = "请填写令牌名称，例如“办理点 2 号机”。";
const SCOPE_REQUIRED: &str = "请至少勾选一项权限范围。";
const DAYS_INVALID: &str = "有效期请填写 1 到 365 之间的整数天数。";
const SCOPE_CERTIFICATES: &str = "证书（查看与下载）";
const SCOPE_PRODUCTION: &str = "制证（领取已审核订单、提交证书请求、写入证书）";
const WAITING: &str = "尚未收到USB-KEY的签名：请先运行上面的命令，签名成功后再点击“完成登录”。";
const NOT_BOUND: &str = "该证书尚未绑定账号：请先用账号密码登录，在“绑定CA”中绑定。";
const NOT_YOURS: &str = "该证书不属于您（或您的单位），不能绑定到您的账号。";
const REVOKED: &str = "该证书已吊销，不能用于登录或绑定。";
const SIGNATURE_BAD: &str = "签名验证失败：签名不是由该证书的私钥对本码生成的。";
const CODE_ANSWERED: &str = "该码已使用过，请重新获取。";

/// A certificate of `org`'s, produced by an operator over the production API on the key
/// `{name}.key` that openssl made in `dir`.
struct Held {
    order: String,
    serial: String,
    pem: String,
    key: String,
}

async fn produced(app: &TestApp, org: &OrgFixture, dir: &Path, name: &str) -> Held {
    let order = app
        .order_awaiting_production(org, "new", "org_master", "mail", 1, "")
        .await;
    let operator = app.api().signed_in(&app.staff(Role::Operator).await).await;
    let (status, made) = operator
        .post(
            &format!("/api/v1/applications/{order}/production"),
            &json!({"csr": csr(dir, name), "token_serial": format!("HT-{name}")}),
        )
        .await;
    assert_eq!(status, 201, "produce: {made}");
    Held {
        order,
        serial: made["serial"].as_str().unwrap().to_owned(),
        pem: made["certificate"].as_str().unwrap().to_owned(),
        key: format!("{name}.key"),
    }
}

/// 注销 of `serial` through an order an operator produces: the CA revokes it.
async fn cancel(app: &TestApp, org: &OrgFixture, serial: &str) {
    let order = app
        .order_awaiting_production(org, "cancel", "org_master", "mail", 1, serial)
        .await;
    let operator = app.api().signed_in(&app.staff(Role::Operator).await).await;
    let (status, done) = operator
        .post(
            &format!("/api/v1/applications/{order}/production"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "注销: {done}");
    assert_eq!(done["revoked"], serial);
}

/// The certificate as base64 DER, the other form the tool may send.
fn der_base64(dir: &Path, pem: &str) -> String {
    std::fs::write(dir.join("cert.pem"), pem).unwrap();
    openssl(
        dir,
        &[
            "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
        ],
    );
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(dir.join("cert.der")).unwrap())
}

/// What the USB-key tool sends for a code: it fetches the challenge, signs its message
/// with `key` (openssl `dgst -sha256 -sign`) and sends the certificate and the signature.
async fn tool_answer(app: &TestApp, dir: &Path, code: &str, certificate: &str, key: &str) -> Value {
    let (status, info) = app
        .api()
        .get(&format!("/api/v1/auth/certificate/challenges/{code}"))
        .await;
    assert_eq!(status, 200, "challenge {code}: {info}");
    assert_eq!(info["code"], code);
    assert_eq!(
        info["message"].as_str().unwrap(),
        domain::account::challenge_message(
            info["purpose"].as_str().unwrap(),
            info["code"].as_str().unwrap(),
            info["nonce"].as_str().unwrap()
        )
    );
    std::fs::write(dir.join("message.txt"), info["message"].as_str().unwrap()).unwrap();
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            key,
            "-out",
            "message.sig",
            "message.txt",
        ],
    );
    let signature = base64::engine::general_purpose::STANDARD
        .encode(std::fs::read(dir.join("message.sig")).unwrap());
    json!({"certificate": certificate, "signature": signature})
}

async fn send_answer(app: &TestApp, code: &str, body: &Value) -> (u16, Value) {
    app.api()
        .post(
            &format!("/api/v1/auth/certificate/challenges/{code}/signature"),
            body,
        )
        .await
}

/// The tool answers `code`: [`tool_answer`], sent.
async fn answer(
    app: &TestApp,
    dir: &Path,
    code: &str,
    certificate: &str,
    key: &str,
) -> (u16, Value) {
    let body = tool_answer(app, dir, code, certificate, key).await;
    send_answer(app, code, &body).await
}

/// The text between `start` and the next `end` in the page.
fn between(page: &Page, start: &str, end: &str) -> String {
    let at = page
        .html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not on the page: {}", page.html))
        + start.len();
    let stop = page.html[at..].find(end).unwrap() + at;
    page.html[at..stop].to_owned()
}

fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// The (key, message) shown for `field` in an API error envelope.
fn field_error(body: &Value, field: &str) -> Option<(String, String)> {
    body["error"]["fields"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == field)
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
}

/// A personal token made over the API by `session`.
async fn token(session: &ApiClient, scopes: &[&str], days: &str) -> (String, String) {
    let (status, made) = session
        .post(
            "/api/v1/me/tokens",
            &json!({"name": "证书助手", "scopes": scopes, "days": days}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    (
        made["token"].as_str().unwrap().to_owned(),
        made["view"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_tokens_page_shows_a_new_token_once_keeps_a_bad_form_and_revokes() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    let page = web.get("/account/tokens").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("id=\"tokens-empty\""), "{}", page.html);
    let csrf = page.csrf();

    // Without the CSRF token nothing is made.
    let refused = web
        .post_with_csrf(
            "/account/tokens",
            "",
            &[
                ("name", "办理点 2 号机"),
                ("scope_production", "on"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(
        web.get("/account/tokens")
            .await
            .contains("id=\"tokens-empty\"")
    );

    // Everything wrong: a message next to each field, what was typed kept.
    let bad = web
        .post_with_csrf("/account/tokens", &csrf, &[("name", ""), ("days", "0")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert_eq!(bad.field_error("name").as_deref(), Some(NAME_REQUIRED));
    assert_eq!(bad.field_error("scopes").as_deref(), Some(SCOPE_REQUIRED));
    assert_eq!(bad.field_error("days").as_deref(), Some(DAYS_INVALID));
    assert_eq!(bad.input_value("days").as_deref(), Some("0"));
    assert!(!bad.contains("id=\"new-token\""));
    // Only the validity wrong: the name and the checked scopes stay as typed.
    let bad = web
        .post_with_csrf(
            "/account/tokens",
            &csrf,
            &[
                ("name", "办理点 2 号机"),
                ("scope_certificates", "on"),
                ("scope_production", "on"),
                ("days", "400"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert_eq!(bad.field_error("days").as_deref(), Some(DAYS_INVALID));
    assert_eq!(bad.field_error("name"), None);
    assert_eq!(bad.field_error("scopes"), None);
    assert_eq!(bad.input_value("name").as_deref(), Some("办理点 2 号机"));
    assert_eq!(bad.input_value("days").as_deref(), Some("400"));
    assert!(bad.contains("name=\"scope_certificates\" value=\"on\" checked"));
    assert!(bad.contains("name=\"scope_production\" value=\"on\" checked"));
    assert!(bad.contains("name=\"scope_applications\" value=\"on\">"));
    assert!(bad.contains("name=\"scope_binding\" value=\"on\">"));
    assert!(bad.contains("id=\"tokens-empty\""), "nothing made");

    // Made: the token shown this once, the list with its hint and scopes.
    let made = web
        .post_with_csrf(
            "/account/tokens",
            &csrf,
            &[
                ("name", "办理点 2 号机"),
                ("scope_certificates", "on"),
                ("scope_production", "on"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.html);
    let token = between(&made, "<code id=\"new-token\">", "</code>");
    assert!(token.starts_with("cdt_") && token.len() == 47, "{token}");
    let hint: String = token.chars().take(8).collect();
    let id = between(&made, "<tr id=\"token-", "\"");
    let row = between(&made, &format!("<tr id=\"token-{id}\">"), "</tr>");
    assert!(row.contains("办理点 2 号机"), "{row}");
    assert!(row.contains(&format!("<code>{hint}…</code>")), "{row}");
    assert!(
        row.contains(&format!("{SCOPE_CERTIFICATES}、{SCOPE_PRODUCTION}")),
        "{row}"
    );
    assert!(row.contains("有效"), "{row}");
    assert!(!row.contains(&token), "the list holds the hint only");
    // The form is fresh again.
    assert_eq!(made.input_value("name").as_deref(), Some(""));
    assert_eq!(made.input_value("days").as_deref(), Some("90"));

    let again = web.get("/account/tokens").await;
    assert!(!again.contains("id=\"new-token\""), "shown once");
    assert!(!again.contains(&token));
    assert!(again.contains(&format!("<code>{hint}…</code>")));

    let tool = app.api().with_token(&token);
    let (status, body) = tool.get("/api/v1/certificates").await;
    assert_eq!(status, 200, "{body}");

    // 吊销: without the CSRF token refused, with it the token stops at once.
    let action = format!("/account/tokens/{id}/revoke");
    let refused = web.post_with_csrf(&action, "", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(tool.get("/api/v1/certificates").await.0, 200);
    let done = web.post_with_csrf(&action, &csrf, &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some("/account/tokens?notice=notice.token_revoked")
    );
    let (status, body) = tool.get("/api/v1/certificates").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["key"], "error.unauthenticated");
    let after = web.visit(done.location.as_deref().unwrap()).await;
    assert!(after.contains("令牌已吊销，立即失效。"), "{}", after.html);
    let row = between(&after, &format!("<tr id=\"token-{id}\">"), "</tr>");
    assert!(row.contains("已吊销"), "{row}");
    assert!(
        !row.contains("/revoke"),
        "no 吊销 button for a revoked token"
    );
    // Once revoked, a second revoke finds nothing.
    assert_eq!(web.post_with_csrf(&action, &csrf, &[]).await.status, 404);
}

#[tokio::test]
async fn a_token_works_within_its_scopes_without_csrf_and_not_after_it_expires() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir.path(), "holder").await;
    let session = app.api().signed_in(&org.admin).await;

    // Made with a session; listed without the secret.
    let (status, made) = session
        .post(
            "/api/v1/me/tokens",
            &json!({"name": "证书助手", "scopes": ["production"], "days": "1"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["token"].as_str().unwrap().to_owned();
    let id = made["view"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cdt_"));
    let (status, list) = session.get("/api/v1/me/tokens").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["scopes"], json!(["production"]));
    assert_eq!(list[0]["live"], true);
    assert!(secret.starts_with(list[0]["hint"].as_str().unwrap()));
    assert!(
        !list.to_string().contains(&secret),
        "the secret is never listed"
    );
    // A bad request is named at its fields.
    let (status, bad) = session
        .post(
            "/api/v1/me/tokens",
            &json!({"name": "", "scopes": ["everything"], "days": "0"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(
        field_error(&bad, "name"),
        Some(("api_token.name_required".into(), NAME_REQUIRED.into()))
    );
    assert_eq!(
        field_error(&bad, "scopes").map(|f| f.0).as_deref(),
        Some("api_token.scope_unknown")
    );
    assert_eq!(
        field_error(&bad, "days"),
        Some(("api_token.days_invalid".into(), DAYS_INVALID.into()))
    );

    // Inside its scope: one's order and one's certificates.
    let tool = app.api().with_token(&secret);
    let (status, order) = tool
        .get(&format!("/api/v1/applications/{}", held.order))
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["id"], held.order.as_str());
    let (status, certificates) = tool.get("/api/v1/certificates").await;
    assert_eq!(status, 200, "{certificates}");
    assert!(
        certificates.to_string().contains(&held.serial),
        "{certificates}"
    );
    let (status, me) = tool.get("/api/v1/me").await;
    assert_eq!(
        (status, me["name"].as_str()),
        (200, Some(org.admin.name.as_str()))
    );

    // Outside it, though its person may: 403, and nothing made.
    let new_order = json!({"kind": "new", "cert_type": "org_master", "channel": "online", "agree_terms": "yes"});
    let password = json!({
        "current_password": testkit::PASSWORD,
        "new_password": "Passw0rd-other",
        "new_password_confirm": "Passw0rd-other",
    });
    let token_body = json!({"name": "再来一个", "scopes": ["production"], "days": "30"});
    for (method, path, body) in [
        ("POST", "/api/v1/applications".to_owned(), Some(&new_order)),
        ("GET", "/api/v1/me/tokens".to_owned(), None),
        ("POST", "/api/v1/me/tokens".to_owned(), Some(&token_body)),
        ("DELETE", format!("/api/v1/me/tokens/{id}"), None),
        ("PUT", "/api/v1/me/password".to_owned(), Some(&password)),
        ("GET", "/api/v1/me/bindings".to_owned(), None),
        ("POST", "/api/v1/me/bindings/challenge".to_owned(), None),
    ] {
        let (status, body) = tool.call(method, path.as_str(), body).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert_eq!(body["error"]["key"], "error.forbidden", "{body}");
    }
    let (_, list) = session.get("/api/v1/applications").await;
    assert_eq!(list["total"], 1, "no order started: {list}");
    assert_eq!(
        session
            .get("/api/v1/me/tokens")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.api().signed_in(&org.admin).await; // the password is unchanged
    // Another organisation's order stays out of reach.
    let other = app.register_org().await;
    let theirs = app
        .order_awaiting_production(&other, "new", "org_master", "mail", 1, "")
        .await;
    let (status, body) = tool.get(&format!("/api/v1/applications/{theirs}")).await;
    assert!(status == 403 || status == 404, "{status} {body}");
    // A token does not sign out: it is revoked, and says so; it still works after.
    let (status, body) = tool.delete("/api/v1/sessions/current").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "api_token.no_sign_out", "{body}");
    assert_eq!(tool.get("/api/v1/me").await.0, 200);

    // A token changes state without the CSRF header; the browser's cookie needs it.
    let (binder, _) = token(&session, &["binding"], "").await;
    let (status, challenge) = app
        .api()
        .with_token(&binder)
        .post("/api/v1/me/bindings/challenge", &json!({}))
        .await;
    assert_eq!(status, 201, "{challenge}");
    assert_eq!(challenge["purpose"], "bind");
    // The tool, holding that token, binds the key it signs with (`certdesk token bind`).
    let code = challenge["code"].as_str().unwrap();
    let (status, signed) = answer(&app, dir.path(), code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "{signed}");
    let (status, bound) = app
        .api()
        .with_token(&binder)
        .get("/api/v1/me/bindings")
        .await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound[0]["serial"], held.serial.as_str());
    let web = app.web();
    web.sign_in(&org.admin).await;
    let refused = web
        .post_with_csrf("/api/v1/me/bindings/challenge", "", &[])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);

    // Expired after its day: 401, and listed as no longer live.
    app.clock
        .advance(SignedDuration::from_hours(24) + SignedDuration::from_secs(60));
    let (status, body) = tool.get("/api/v1/certificates").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["key"], "error.unauthenticated");
    let session = app.api().signed_in(&org.admin).await;
    let (_, list) = session.get("/api/v1/me/tokens").await;
    let expired = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap();
    assert_eq!(expired["live"], false);
    assert!(expired["revoked_at"].is_null());
}

#[tokio::test]
async fn tokens_are_made_listed_and_revoked_over_the_api_with_a_session() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let session = app.api().signed_in(&org.admin).await;
    let (status, empty) = session.get("/api/v1/me/tokens").await;
    assert_eq!((status, empty), (200, json!([])));

    let (first, first_id) = token(&session, &["certificates"], "").await;
    let (second, second_id) = token(&session, &["certificates", "binding"], "365").await;
    let (_, list) = session.get("/api/v1/me/tokens").await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second_id.as_str(), "newest first");
    assert_eq!(list[0]["scopes"], json!(["certificates", "binding"]));
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains(&first) && !text.contains(&second));
    for t in &list {
        assert!(t.get("token").is_none(), "{t}");
    }
    let days = |t: &Value| {
        let at = |k: &str| t[k].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
        at("expires_at").duration_since(at("created_at")).as_hours() / 24
    };
    assert_eq!(days(&list[0]), 365);
    assert_eq!(days(&list[1]), 90, "90 days when none is typed");

    // Another person cannot revoke it; its owner can, and it stops at once.
    let stranger = app.api().signed_in(&app.register_org().await.admin).await;
    let (status, _) = stranger
        .delete(&format!("/api/v1/me/tokens/{first_id}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.api()
            .with_token(&first)
            .get("/api/v1/certificates")
            .await
            .0,
        200
    );
    let (status, body) = session
        .delete(&format!("/api/v1/me/tokens/{first_id}"))
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = app
        .api()
        .with_token(&first)
        .get("/api/v1/certificates")
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        app.api()
            .with_token(&second)
            .get("/api/v1/certificates")
            .await
            .0,
        200,
        "the other token still works"
    );
    let (status, _) = session
        .delete(&format!("/api/v1/me/tokens/{first_id}"))
        .await;
    assert_eq!(status, 404, "revoked already");
    let (status, _) = session.delete("/api/v1/me/tokens/not-an-id").await;
    assert_eq!(status, 404);
    let (_, list) = session.get("/api/v1/me/tokens").await;
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == first_id.as_str())
        .unwrap();
    assert_eq!(revoked["live"], false);
    assert!(revoked["revoked_at"].is_string());

    // Nobody signed in gets nothing; a made-up token is no token.
    assert_eq!(app.api().get("/api/v1/me/tokens").await.0, 401);
    let forged = format!("cdt_{}", "A".repeat(43));
    assert_eq!(
        app.api()
            .with_token(&forged)
            .get("/api/v1/certificates")
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn a_certificate_is_bound_through_the_page_and_the_api_and_unbound_again() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    let session = app.api().signed_in(&org.admin).await;

    // Another organisation's bind: the key signs, but the certificate is not theirs.
    let stranger = app.api().signed_in(&app.register_org().await.admin).await;
    let (status, theirs) = stranger
        .post("/api/v1/me/bindings/challenge", &json!({}))
        .await;
    assert_eq!(status, 201, "{theirs}");
    let code = theirs["code"].as_str().unwrap();
    let (status, refused) = answer(&app, dir, code, &held.pem, &held.key).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["key"], "certlogin.not_yours");
    assert_eq!(error_message(&refused), NOT_YOURS);
    assert_eq!(stranger.get("/api/v1/me/bindings").await.1, json!([]));

    // 绑定CA on the page: a code to sign.
    let web = app.web();
    web.sign_in(&org.admin).await;
    let page = web.get("/account/certificates").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("id=\"bindings-empty\""), "{}", page.html);
    let refused = web
        .post_with_csrf("/account/certificates/bind", "", &[])
        .await;
    assert_eq!(refused.status, 403);
    let page = web
        .submit("/account/certificates", "/account/certificates/bind", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let code = between(&page, "<strong id=\"bind-code\">", "</strong>");
    assert!(
        page.contains(&format!("--code {code}")),
        "the command to run"
    );

    // A signature by another key over the right message: refused at `signature`.
    csr(dir, "other");
    let (status, forged) = answer(&app, dir, &code, &held.pem, "other.key").await;
    assert_eq!(status, 422, "{forged}");
    assert_eq!(
        field_error(&forged, "signature"),
        Some(("certlogin.signature_bad".into(), SIGNATURE_BAD.into()))
    );
    let (status, garbled) = app
        .api()
        .post(
            &format!("/api/v1/auth/certificate/challenges/{code}/signature"),
            &json!({"certificate": "MIIB", "signature": "AAAA"}),
        )
        .await;
    assert_eq!(status, 422, "{garbled}");
    assert_eq!(
        field_error(&garbled, "certificate").map(|f| f.0).as_deref(),
        Some("certlogin.certificate_malformed")
    );

    // The holder's key, the certificate as base64 DER: bound.
    let der = der_base64(dir, &held.pem);
    let body = tool_answer(&app, dir, &code, &der, &held.key).await;
    let (status, signed) = send_answer(&app, &code, &body).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["purpose"], "bind");
    assert_eq!(signed["serial"], held.serial.as_str());
    // The same answer again, and the code asked for again: used.
    let (status, again) = send_answer(&app, &code, &body).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["key"], "certlogin.code_answered");
    assert_eq!(error_message(&again), CODE_ANSWERED);
    let (status, again) = app
        .api()
        .get(&format!("/api/v1/auth/certificate/challenges/{code}"))
        .await;
    assert_eq!(status, 409, "{again}");
    let (status, bound) = session.get("/api/v1/me/bindings").await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound.as_array().unwrap().len(), 1, "{bound}");
    assert_eq!(bound[0]["serial"], held.serial.as_str());
    assert_eq!(bound[0]["standing"], "valid");
    assert_eq!(bound[0]["organisation_name"], org.name.as_str());
    let page = web.get("/account/certificates").await;
    let row = between(
        &page,
        &format!("<tr id=\"binding-{}\">", held.serial),
        "</tr>",
    );
    assert!(row.contains(&org.name), "{row}");

    // 解除绑定 on the page.
    let binding = bound[0]["id"].as_str().unwrap();
    let action = format!("/account/certificates/{binding}/unbind");
    assert!(row.contains(&action), "{row}");
    assert_eq!(web.post_with_csrf(&action, "", &[]).await.status, 403);
    assert_eq!(
        session
            .get("/api/v1/me/bindings")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let done = web.post_with_csrf(&action, &page.csrf(), &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let after = web.visit(done.location.as_deref().unwrap()).await;
    assert!(after.contains("已解除绑定。"), "{}", after.html);
    assert!(after.contains("id=\"bindings-empty\""));
    assert_eq!(session.get("/api/v1/me/bindings").await.1, json!([]));

    // Bound again through the API (a PEM this time), unbound through the API.
    let (status, started) = session
        .post("/api/v1/me/bindings/challenge", &json!({}))
        .await;
    assert_eq!(status, 201, "{started}");
    let (status, signed) = answer(
        &app,
        dir,
        started["code"].as_str().unwrap(),
        &held.pem,
        &held.key,
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let (_, bound) = session.get("/api/v1/me/bindings").await;
    assert_eq!(bound[0]["serial"], held.serial.as_str());
    let binding = bound[0]["id"].as_str().unwrap();
    let (status, _) = stranger
        .delete(&format!("/api/v1/me/bindings/{binding}"))
        .await;
    assert_eq!(status, 404, "not theirs to unbind");
    let (status, _) = session
        .delete(&format!("/api/v1/me/bindings/{binding}"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(session.get("/api/v1/me/bindings").await.1, json!([]));
    let (status, _) = session
        .delete(&format!("/api/v1/me/bindings/{binding}"))
        .await;
    assert_eq!(status, 404);
}

/// Binds `held` to `org`'s admin over the API.
async fn bind(app: &TestApp, org: &OrgFixture, dir: &Path, held: &Held) {
    let session = app.api().signed_in(&org.admin).await;
    let (status, started) = session
        .post("/api/v1/me/bindings/challenge", &json!({}))
        .await;
    assert_eq!(status, 201, "{started}");
    let code = started["code"].as_str().unwrap();
    let (status, signed) = answer(app, dir, code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "bind: {signed}");
}

#[tokio::test]
async fn the_certificate_sign_in_page_waits_for_the_signature_then_opens_the_dashboard() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    bind(&app, &org, dir, &held).await;

    // The page sets its login cookie (HttpOnly) and shows the code.
    let raw = reqwest::get(format!("{}/signin/certificate", app.url))
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    let cookie = raw
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("certdesk_certlogin="))
        .expect("the login cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age=300"), "{cookie}");

    let web = app.web();
    let page = web.get("/signin/certificate").await;
    assert_eq!(page.status, 200);
    let code = between(&page, "<strong id=\"login-code\">", "</strong>");
    assert_eq!(code.len(), 9, "{code}");
    assert!(page.contains(&format!("--code {code}")));
    assert!(
        web.get("/dashboard").await.location.is_some(),
        "not signed in yet"
    );

    // Without the CSRF token: refused. Before the tool signed: 409, waiting.
    assert_eq!(
        web.post_with_csrf("/signin/certificate", "", &[])
            .await
            .status,
        403
    );
    let waiting = web
        .post_with_csrf("/signin/certificate", &page.csrf(), &[])
        .await;
    assert_eq!(waiting.status, 409, "{}", waiting.html);
    assert!(waiting.contains(WAITING), "{}", waiting.html);
    assert_eq!(
        between(&waiting, "<strong id=\"login-code\">", "</strong>"),
        code,
        "the same code, still to sign"
    );

    // The tool signs (PEM): the page signs in.
    let (status, signed) = answer(&app, dir, &code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["purpose"], "login");
    assert_eq!(signed["serial"], held.serial.as_str());
    let done = web
        .post_with_csrf("/signin/certificate", &page.csrf(), &[])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/dashboard"));
    let dashboard = web.get("/dashboard").await;
    assert_eq!(dashboard.status, 200, "{:?}", dashboard.location);
    assert!(dashboard.contains(&org.admin.name), "{}", dashboard.html);
    // Signed in, the page sends one to the dashboard.
    assert_eq!(
        web.get("/signin/certificate").await.location.as_deref(),
        Some("/dashboard")
    );

    // A certificate bound to nobody: its signature is refused, and the page would wait.
    let loner_org = app.register_org().await;
    let loner = produced(&app, &loner_org, dir, "loner").await;
    let other = app.web();
    let page = other.get("/signin/certificate").await;
    let code = between(&page, "<strong id=\"login-code\">", "</strong>");
    let (status, refused) = answer(&app, dir, &code, &loner.pem, &loner.key).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["key"], "certlogin.not_bound");
    assert_eq!(error_message(&refused), NOT_BOUND);
    let still = other
        .post_with_csrf("/signin/certificate", &page.csrf(), &[])
        .await;
    assert_eq!(still.status, 409);
    assert!(still.contains(WAITING));

    // Signed, then revoked (注销) before the browser completes: refused, with a fresh code.
    let late = app.web();
    let page = late.get("/signin/certificate").await;
    let code = between(&page, "<strong id=\"login-code\">", "</strong>");
    let (status, signed) = answer(&app, dir, &code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "{signed}");
    cancel(&app, &org, &held.serial).await;
    let refused = late
        .post_with_csrf("/signin/certificate", &page.csrf(), &[])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.contains(REVOKED), "{}", refused.html);
    let fresh = between(&refused, "<strong id=\"login-code\">", "</strong>");
    assert_ne!(fresh, code, "a fresh code to try again");
    assert_eq!(late.get("/dashboard").await.status, 303, "no session");
    // And the revoked certificate's next signature is refused outright.
    let (status, refused) = answer(&app, dir, &fresh, &held.pem, &held.key).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["key"], "certlogin.certificate_revoked");
    assert_eq!(error_message(&refused), REVOKED);
    let (_, bound) = app
        .api()
        .signed_in(&org.admin)
        .await
        .get("/api/v1/me/bindings")
        .await;
    assert_eq!(bound[0]["standing"], "revoked");
    // The page signed in by the certificate lists the binding as 已吊销.
    let page = web.get("/account/certificates").await;
    let row = between(
        &page,
        &format!("<tr id=\"binding-{}\">", held.serial),
        "</tr>",
    );
    assert!(row.contains("已吊销"), "{row}");
}

#[tokio::test]
async fn the_tool_signs_in_over_the_api_and_gets_a_session_token() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    bind(&app, &org, dir, &held).await;

    let tool = app.api();
    let (status, started) = tool
        .post("/api/v1/auth/certificate/challenges", &json!({}))
        .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["purpose"], "login");
    let code = started["code"].as_str().unwrap();
    let secret = json!({"secret": started["secret"]});

    // Before the signature: 202, ask again.
    let (status, waiting) = tool.post("/api/v1/auth/certificate/session", &secret).await;
    assert_eq!(status, 202, "{waiting}");
    assert_eq!(waiting["code"], code);

    // The code typed loosely still names the challenge.
    let loose = code.to_lowercase().replace('-', "");
    let (status, info) = tool
        .get(&format!("/api/v1/auth/certificate/challenges/{loose}"))
        .await;
    assert_eq!((status, info["code"].as_str()), (200, Some(code)), "{info}");

    let (status, signed) = answer(&app, dir, code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "{signed}");
    let (status, opened) = tool.post("/api/v1/auth/certificate/session", &secret).await;
    assert_eq!(status, 201, "{opened}");
    let session = app.api().with_token(opened["token"].as_str().unwrap());
    let (status, me) = session.get("/api/v1/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], org.admin.name.as_str());
    let (status, bound) = session.get("/api/v1/me/bindings").await;
    assert_eq!(
        (status, bound[0]["serial"].as_str()),
        (200, Some(held.serial.as_str()))
    );

    // Once only.
    let (status, again) = tool.post("/api/v1/auth/certificate/session", &secret).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["key"], "certlogin.code_answered");
    // A made-up secret, or an unknown code.
    let (status, body) = tool
        .post(
            "/api/v1/auth/certificate/session",
            &json!({"secret": "not-a-secret"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "certlogin.code_unknown");
    let (status, body) = tool
        .get("/api/v1/auth/certificate/challenges/ABCD-EFGH")
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "certlogin.code_unknown");

    // Expired codes: neither signed nor completed.
    let (_, late) = tool
        .post("/api/v1/auth/certificate/challenges", &json!({}))
        .await;
    app.clock
        .advance(SignedDuration::from_mins(5) + SignedDuration::from_secs(1));
    let (status, body) = tool
        .get(&format!(
            "/api/v1/auth/certificate/challenges/{}",
            late["code"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "certlogin.code_expired");
    let (status, body) = tool
        .post(
            "/api/v1/auth/certificate/session",
            &json!({"secret": late["secret"]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "certlogin.code_expired");
}

#[tokio::test]
async fn the_key_routes_are_documented_and_closed_to_strangers() {
    let app = TestApp::start().await;
    let (status, doc) = app.api().get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    // (method, path, needs a session or token)
    let routes = [
        ("get", "/api/v1/me/tokens", true),
        ("post", "/api/v1/me/tokens", true),
        ("delete", "/api/v1/me/tokens/{id}", true),
        ("get", "/api/v1/me/bindings", true),
        ("post", "/api/v1/me/bindings/challenge", true),
        ("delete", "/api/v1/me/bindings/{id}", true),
        ("post", "/api/v1/auth/certificate/challenges", false),
        ("get", "/api/v1/auth/certificate/challenges/{code}", false),
        (
            "post",
            "/api/v1/auth/certificate/challenges/{code}/signature",
            false,
        ),
        ("post", "/api/v1/auth/certificate/session", false),
    ];
    for (method, path, signed_in) in routes {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
        assert_eq!(
            op["security"].is_array(),
            signed_in,
            "{method} {path} names its security only when it needs one"
        );
        assert!(op["responses"].is_object());
    }
    // Every documented route under these prefixes is in the table.
    let documented = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| {
            p.starts_with("/api/v1/me/tokens")
                || p.starts_with("/api/v1/me/bindings")
                || p.starts_with("/api/v1/auth/certificate")
        })
        .map(|(_, ops)| ops.as_object().unwrap().len())
        .sum::<usize>();
    assert_eq!(documented, routes.len());
    for schema in [
        "ApiTokenView",
        "NewToken",
        "NewTokenInput",
        "BindingView",
        "StartedChallenge",
        "ChallengeInfo",
        "SignatureInput",
        "Signed",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing from the components"
        );
    }

    // Nobody signed in: 401 on every route that needs one.
    let nobody = app.api();
    let id = "0190a0a0-0000-7000-8000-000000000000";
    for (method, path) in [
        ("GET", "/api/v1/me/tokens".to_owned()),
        ("POST", "/api/v1/me/tokens".to_owned()),
        ("DELETE", format!("/api/v1/me/tokens/{id}")),
        ("GET", "/api/v1/me/bindings".to_owned()),
        ("POST", "/api/v1/me/bindings/challenge".to_owned()),
        ("DELETE", format!("/api/v1/me/bindings/{id}")),
    ] {
        let (status, body) = nobody.call(method, &path, Some(&json!({}))).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert_eq!(body["error"]["message"], "请先登录。");
    }
    // The pages send one to sign in.
    let web = app.web();
    for page in ["/account/tokens", "/account/certificates"] {
        let p = web.get(page).await;
        assert_eq!(p.status, 303, "{page}");
        assert!(
            p.location.as_deref().unwrap().starts_with("/signin"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_production_token_renews_online_and_the_renewal_signs_in_through_the_old_binding() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    bind(&app, &org, dir, &held).await;
    let session = app.api().signed_in(&org.admin).await;

    // 延期 online: the applicant produces with the tool, which holds a production token.
    let order = app
        .order_awaiting_production(&org, "renew", "org_master", "download", 1, &held.serial)
        .await;
    let (production, _) = token(&session, &["production"], "").await;
    let (certificates, _) = token(&session, &["certificates"], "").await;
    let path = format!("/api/v1/applications/{order}/production");
    let request = json!({"csr": csr(dir, "renewed"), "token_serial": "HT-holder"});
    // A token without the production scope may not, though its person may.
    let (status, refused) = app
        .api()
        .with_token(&certificates)
        .post(&path, &request)
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, made) = app
        .api()
        .with_token(&production)
        .post(&path, &request)
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["complete"], true);
    let renewed = Held {
        order,
        serial: made["serial"].as_str().unwrap().to_owned(),
        pem: made["certificate"].as_str().unwrap().to_owned(),
        key: "renewed.key".into(),
    };
    assert_ne!(renewed.serial, held.serial);

    // The renewed certificate, never bound itself, signs in as the old one's account.
    let tool = app.api();
    let (_, started) = tool
        .post("/api/v1/auth/certificate/challenges", &json!({}))
        .await;
    let code = started["code"].as_str().unwrap();
    let (status, signed) = answer(&app, dir, code, &renewed.pem, &renewed.key).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["serial"], renewed.serial.as_str());
    let (status, opened) = tool
        .post(
            "/api/v1/auth/certificate/session",
            &json!({"secret": started["secret"]}),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let (_, me) = app
        .api()
        .with_token(opened["token"].as_str().unwrap())
        .get("/api/v1/me")
        .await;
    assert_eq!(me["name"], org.admin.name.as_str());
}

#[tokio::test]
async fn a_signed_login_code_cannot_be_completed_after_it_expires() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    bind(&app, &org, dir, &held).await;

    let tool = app.api();
    let (_, started) = tool
        .post("/api/v1/auth/certificate/challenges", &json!({}))
        .await;
    let code = started["code"].as_str().unwrap();
    let (status, signed) = answer(&app, dir, code, &held.pem, &held.key).await;
    assert_eq!(status, 200, "{signed}");
    // Signed in time, but the secret comes back after the code's five minutes.
    app.clock
        .advance(SignedDuration::from_mins(5) + SignedDuration::from_secs(1));
    let (status, body) = tool
        .post(
            "/api/v1/auth/certificate/session",
            &json!({"secret": started["secret"]}),
        )
        .await;
    assert_eq!(status, 409, "a stale secret opens no session: {body}");
    assert_eq!(body["error"]["key"], "certlogin.code_expired");
}

#[tokio::test]
async fn binding_a_bound_certificate_again_is_no_error_for_its_account() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let org = app.register_org().await;
    let held = produced(&app, &org, dir, "holder").await;
    bind(&app, &org, dir, &held).await;
    // The same account binds the same key again: still one binding, no error.
    bind(&app, &org, dir, &held).await;
    let session = app.api().signed_in(&org.admin).await;
    let (_, bound) = session.get("/api/v1/me/bindings").await;
    assert_eq!(bound.as_array().unwrap().len(), 1, "{bound}");

    // A colleague in the same organisation: the certificate is the organisation's, but
    // one key binds one account.
    let mobile = app.mobile();
    let (status, added) = session
        .post(
            &format!("/api/v1/organisations/{}/members", org.id),
            &json!({"name": "项目负责人", "mobile": mobile, "role": "member"}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let colleague = app
        .api()
        .signed_in(&testkit::Credentials {
            mobile: mobile.clone(),
            password: added["initial_password"].as_str().unwrap().to_owned(),
            name: "项目负责人".into(),
        })
        .await;
    let (status, body) = colleague
        .put(
            "/api/v1/me/password",
            &json!({
                "current_password": added["initial_password"],
                "new_password": "Member-pass1",
                "new_password_confirm": "Member-pass1",
            }),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    // Changing the password ends the sessions: sign in again with the new one.
    let colleague = app
        .api()
        .signed_in(&testkit::Credentials {
            mobile: mobile.clone(),
            password: "Member-pass1".into(),
            name: "项目负责人".into(),
        })
        .await;
    let (status, started) = colleague
        .post("/api/v1/me/bindings/challenge", &json!({}))
        .await;
    assert_eq!(status, 201, "{started}");
    let (status, refused) = answer(
        &app,
        dir,
        started["code"].as_str().unwrap(),
        &held.pem,
        &held.key,
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["key"], "certlogin.bound_elsewhere");
    assert_eq!(colleague.get("/api/v1/me/bindings").await.1, json!([]));
    let (_, bound) = session.get("/api/v1/me/bindings").await;
    assert_eq!(bound.as_array().unwrap().len(), 1, "{bound}");
}
