//! 互联互通: an admin generates a linked platform's API key on its page (shown once),
//! regenerates it (the old one stops working) and revokes it; the platform looks up
//! certificates by serial with `Authorization: Bearer` or `X-Api-Key`, with no session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::Clock as _;
use app::admin::config::{self, PlatformInput};
use domain::account::Role;
use domain::application::CertType;
use domain::ident::Uscc;
use domain::ids::{OrganisationId, PlatformId};
use jiff::SignedDuration;
use serde_json::Value;
use testkit::{OrgFixture, TestApp};

const LOOKUP: &str = "/api/v1/interconnect/certificates";

async fn platform(t: &TestApp, name: &str) -> PlatformId {
    config::create_platform(
        &t.app,
        &app::Actor::system(),
        &PlatformInput {
            name: name.into(),
            url: "https://ggzy.example.gov.cn".into(),
            active: "yes".into(),
        },
    )
    .await
    .unwrap()
}

async fn issue(t: &TestApp, org: &OrgFixture) -> app::ca::IssuedCertificate {
    let operator = t.actor(&t.staff(Role::Operator).await).await;
    let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256).unwrap();
    let now = t.clock.now();
    app::ca::issue(
        &t.app,
        &operator,
        &app::ca::IssueRequest {
            subject: pki::SubjectData {
                organisation: Some(pki::Organisation {
                    name: org.name.clone(),
                    code: domain::organisation::CreditCode::Uscc(Uscc::parse(&org.uscc).unwrap()),
                }),
                ..pki::SubjectData::default()
            },
            cert_type: CertType::OrgMaster,
            not_before: now,
            not_after: now + SignedDuration::from_hours(24 * 365),
            public_key: key.public_key().unwrap(),
            application: None,
            organisation: Some(OrganisationId::parse(&org.id).unwrap()),
            holder: None,
            token_serial: None,
            replaces: None,
        },
    )
    .await
    .unwrap()
}

/// GET with the key in `Authorization: Bearer` (`header` None) or in the named header.
async fn look_up(t: &TestApp, serial: &str, key: &str, header: Option<&str>) -> (u16, Value) {
    let r = reqwest::Client::new().get(format!("{}{LOOKUP}/{serial}", t.url));
    let r = match header {
        None => r.bearer_auth(key),
        Some(h) => r.header(h, key),
    };
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The key shown once on the page after 生成密钥.
fn shown_key(html: &str) -> String {
    let marker = "id=\"new-key\">";
    let start = html.find(marker).expect("the new key on the page") + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_admin_page_generates_a_key_once_regenerates_and_revokes_it() {
    let t = TestApp::start().await;
    let id = platform(&t, "某市公共资源交易平台").await;
    let org = t.register_org().await;
    let cert = issue(&t, &org).await;
    let admin = t.staff(Role::Admin).await;
    let web = t.web();
    web.sign_in(&admin).await;
    let edit = format!("/admin/platforms/{id}");

    let page = web.visit(&edit).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("互联互通接口密钥"), "{}", page.html);
    assert!(page.contains("id=\"no-key\""), "{}", page.html);

    // 生成密钥: shown on the answer, once.
    let page = web.submit(&edit, &format!("{edit}/key"), &[]).await;
    assert_eq!(page.status, 200);
    let key = shown_key(&page.html);
    assert!(key.starts_with("cdk_") && key.len() > 40, "{key}");
    assert!(page.contains("id=\"key-in-force\""));
    let again = web.visit(&edit).await;
    assert!(!again.contains(&key), "the key is never shown again");
    assert!(!again.contains("id=\"new-key\""));
    assert!(
        again.contains(&key[..8]),
        "the first characters tell keys apart"
    );

    // Only its SHA-256 is stored.
    let mut conn = t.app.store().conn().await.unwrap();
    let (stored,): (String,) =
        sqlx::query_as("SELECT key_sha256 FROM platform_keys WHERE revoked_at IS NULL")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    assert_ne!(stored, key);
    assert_eq!(stored.len(), 64);

    let (status, body) = look_up(&t, &cert.serial, &key, None).await;
    assert_eq!(status, 200, "{body}");

    // 重新生成密钥: the new key works, the old one no longer does.
    let page = web.submit(&edit, &format!("{edit}/key"), &[]).await;
    let second = shown_key(&page.html);
    assert_ne!(second, key);
    assert!(page.contains("原密钥已吊销"), "{}", page.html);
    assert_eq!(look_up(&t, &cert.serial, &key, None).await.0, 401);
    assert_eq!(look_up(&t, &cert.serial, &second, None).await.0, 200);

    // 吊销密钥: nothing works; the page says there is no key.
    let page = web.submit(&edit, &format!("{edit}/key/revoke"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.html);
    let page = web.visit(page.location.as_deref().unwrap()).await;
    assert!(page.contains("接口密钥已吊销"), "{}", page.html);
    assert!(page.contains("id=\"no-key\""));
    assert_eq!(look_up(&t, &cert.serial, &second, None).await.0, 401);

    // Each step left an audit entry, without the key.
    let mut conn = t.app.store().conn().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, detail FROM audit_log WHERE action LIKE 'platform.key%' ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "platform.key_generated",
            "platform.key_regenerated",
            "platform.key_revoked"
        ]
    );
    assert!(
        rows.iter()
            .all(|(_, d)| !d.contains(&key) && !d.contains(&second))
    );
}

#[tokio::test]
async fn a_platform_looks_up_certificates_with_its_key() {
    let t = TestApp::start().await;
    let id = platform(&t, "某省政府采购平台").await;
    let org = t.register_org().await;
    let cert = issue(&t, &org).await;
    let key = app::interconnect::generate_key(&t.app, &app::Actor::system(), id)
        .await
        .unwrap()
        .key;

    // Good key, either header; the serial in any case.
    for header in [None, Some("X-Api-Key")] {
        let (status, body) = look_up(&t, &cert.serial.to_lowercase(), &key, header).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["serial"], cert.serial.as_str());
        assert_eq!(body["status"], "valid");
        assert_eq!(body["holder_name"], org.name.as_str());
        assert_eq!(body["organisation_name"], org.name.as_str());
        assert_eq!(body["uscc"], org.uscc.as_str());
        assert_eq!(body["cert_type"], "org_master");
        assert!(body["not_before"].is_string() && body["not_after"].is_string());
        assert!(
            body["issuer"]
                .as_str()
                .unwrap()
                .contains("CN=certdesk Issuing CA"),
            "{body}"
        );
        assert!(body["revoked_at"].is_null());
    }

    // Wrong key, no key, a user's session token: 401 in the envelope.
    let (status, body) = look_up(&t, &cert.serial, "cdk_wrong", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["key"], "interconnect.key_invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("接口密钥")
    );
    let res = reqwest::get(format!("{}{LOOKUP}/{}", t.url, cert.serial))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let (_, session) = t
        .api()
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"mobile": org.admin.mobile, "password": org.admin.password}),
        )
        .await;
    let token = session["token"].as_str().unwrap();
    assert_eq!(look_up(&t, &cert.serial, token, None).await.0, 401);

    // Unknown serial: 404 in the usual envelope; not hex: 422.
    let (status, body) = look_up(&t, "0123456789ABCDEF", &key, None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["key"], "error.not_found");
    let (status, body) = look_up(&t, "not-a-serial", &key, None).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "serial");

    // Revoked: the time and the reason.
    let operator = t.actor(&t.staff(Role::Operator).await).await;
    app::ca::revoke(
        &t.app,
        &operator,
        &cert.serial,
        pki::RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    let (status, body) = look_up(&t, &cert.serial, &key, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "revoked");
    assert_eq!(body["revocation_reason"], "keyCompromise");
    assert!(body["revoked_at"].is_string());

    // Expired: a year and a day later.
    let other = issue(&t, &org).await;
    t.clock.advance(SignedDuration::from_hours(24 * 366));
    let (_, body) = look_up(&t, &other.serial, &key, None).await;
    assert_eq!(body["status"], "expired");

    // An inactive platform's key grants nothing.
    config::update_platform(
        &t.app,
        &app::Actor::system(),
        id,
        &PlatformInput {
            name: "某省政府采购平台".into(),
            url: "https://ggzy.example.gov.cn".into(),
            active: String::new(),
        },
    )
    .await
    .unwrap();
    assert_eq!(look_up(&t, &other.serial, &key, None).await.0, 401);
}

#[tokio::test]
async fn only_admins_manage_keys_and_the_api_is_documented() {
    let t = TestApp::start().await;
    let id = platform(&t, "某招标投标公共服务平台").await;
    let operator = t.api().signed_in(&t.staff(Role::Operator).await).await;
    let (status, _) = operator
        .post(
            &format!("/api/v1/admin/platforms/{id}/key"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 403);

    let admin = t.api().signed_in(&t.staff(Role::Admin).await).await;
    let path = format!("/api/v1/admin/platforms/{id}/key");
    let (status, body) = admin.get(&path).await;
    assert_eq!((status, body), (200, Value::Null));
    let (status, body) = admin.post(&path, &serde_json::json!({})).await;
    assert_eq!(status, 201, "{body}");
    let key = body["key"].as_str().unwrap().to_owned();
    assert_eq!(body["replaced"], false);
    let (_, shown) = admin.get(&path).await;
    assert_eq!(shown["hint"], &key[..8]);
    assert!(!shown.to_string().contains(&key));
    assert_eq!(admin.delete(&path).await.0, 204);
    let (status, body) = admin.delete(&path).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["key"], "platform.key_none");
    let (status, _) = admin
        .post(
            &format!("/api/v1/admin/platforms/{}/key", PlatformId::new()),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 404);

    let (_, doc) = t.api().get("/api/v1/openapi.json").await;
    let op = &doc["paths"]["/api/v1/interconnect/certificates/{serial}"]["get"];
    assert_eq!(op["tags"][0], "interconnect");
    assert!(op["responses"]["401"].is_object());
    assert!(doc["components"]["securitySchemes"]["platform_key_header"].is_object());
    assert!(doc["paths"]["/api/v1/admin/platforms/{id}/key"]["post"].is_object());
}
