//! 证书管理 over HTTP: the applicant's list and details, the downloads (checked by
//! `openssl verify` against the downloaded chain), 新增平台, 新增申请 prefilled from a
//! certificate, the staff's search, the profiles page, and the same over the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use app::Clock as _;
use domain::account::Role;
use domain::application::CertType;
use domain::ident::Uscc;
use domain::ids::OrganisationId;
use jiff::SignedDuration;
use serde_json::json;
use testkit::{OrgFixture, TestApp};

/// A certificate for the organisation's admin, issued by an operator as 制证 does.
async fn issue(app: &TestApp, org: &OrgFixture, days: i64) -> String {
    let operator = app.actor(&app.staff(Role::Operator).await).await;
    let holder = app.actor(&org.admin).await;
    let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256).unwrap();
    let now = app.clock.now();
    let request = app::ca::IssueRequest {
        subject: pki::SubjectData {
            organisation: Some(pki::Organisation {
                name: org.name.clone(),
                code: domain::organisation::CreditCode::Uscc(Uscc::parse(&org.uscc).unwrap()),
            }),
            ..pki::SubjectData::default()
        },
        cert_type: CertType::OrgMaster,
        not_before: now,
        not_after: now + SignedDuration::from_hours(24 * days),
        public_key: key.public_key().unwrap(),
        application: None,
        organisation: Some(OrganisationId::parse(&org.id).unwrap()),
        holder: Some(holder.id),
        token_serial: Some("JK2026000777".into()),
        replaces: None,
    };
    app::ca::issue(&app.app, &operator, &request)
        .await
        .unwrap()
        .serial
}

async fn platform(app: &TestApp, name: &str) -> String {
    app::admin::config::create_platform(
        &app.app,
        &app::Actor::system(),
        &app::admin::config::PlatformInput {
            name: name.into(),
            url: "https://ggzy.example.cn".into(),
            active: "yes".into(),
        },
    )
    .await
    .unwrap()
    .to_text()
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

/// The PEM blocks of a file, in order.
fn pem_blocks(text: &str) -> Vec<String> {
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .map(|b| b.trim_start().to_owned())
        .collect()
}

#[tokio::test]
async fn the_applicant_lists_opens_and_downloads_certificates_that_openssl_verifies() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let serial = issue(&app, &org, 365).await;
    let web = app.web();
    web.sign_in(&org.admin).await;

    let dashboard = web.get("/dashboard").await;
    assert!(dashboard.contains("href=\"/certificates\""), "nav entry");
    let list = web.get("/certificates").await;
    assert_eq!(list.status, 200);
    assert!(list.contains("证书管理"));
    assert!(list.contains(&format!("data-serial=\"{serial}\"")));
    assert!(list.contains("certdesk Issuing CA"), "颁发者");
    assert!(list.contains("JK2026000777"), "锁序列号");
    assert!(list.contains(">有效<"));
    assert!(list.contains(">365<"), "剩余天数");
    assert!(list.contains(&format!(
        "/orders/new?kind=renew&#38;cert_type=org_master&#38;certificate={serial}"
    )));
    let filtered = web.get("/certificates?status=revoked").await;
    assert!(!filtered.contains(&format!("data-serial=\"{serial}\"")));
    let bad = web.get("/certificates?status=lost").await;
    assert_eq!(
        bad.field_error("status").as_deref(),
        Some("请选择正确的证书状态")
    );

    let details = web
        .get(&format!("/certificates/{}", serial.to_lowercase()))
        .await;
    assert_eq!(details.status, 200);
    for text in [
        "SHA-256 指纹",
        "ECDSA P-256",
        &org.name,
        "新增平台",
        "延期",
        "补办",
        "注销",
    ] {
        assert!(details.contains(text), "{text}");
    }
    assert!(!details.contains(">年检<"), "年检 only for seals");

    let dir = tempfile::tempdir().unwrap();
    let pem = web
        .get(&format!("/certificates/{serial}/download/pem"))
        .await;
    assert_eq!(pem.status, 200);
    assert_eq!(pem.content_type.as_deref(), Some("application/x-pem-file"));
    assert!(
        pem.content_disposition
            .as_deref()
            .unwrap()
            .contains(&format!("filename=\"{serial}.pem\"")),
        "{:?}",
        pem.content_disposition
    );
    std::fs::write(dir.path().join("cert.pem"), &pem.html).unwrap();
    let cer = app
        .api()
        .signed_in(&org.admin)
        .await
        .download(&format!("/api/v1/certificates/{serial}/download/cer"))
        .await;
    assert_eq!(cer.status, 200);
    assert_eq!(cer.content_type.as_deref(), Some("application/pkix-cert"));
    assert!(
        cer.content_disposition
            .unwrap()
            .contains(&format!("{serial}.cer"))
    );
    std::fs::write(dir.path().join("cert.cer"), &cer.body).unwrap();
    let printed = openssl(
        dir.path(),
        &[
            "x509", "-inform", "DER", "-in", "cert.cer", "-noout", "-serial",
        ],
    );
    assert_eq!(printed.trim(), format!("serial={serial}"));
    let chain = web
        .get(&format!("/certificates/{serial}/download/chain"))
        .await;
    assert_eq!(
        chain.content_type.as_deref(),
        Some("application/pem-certificate-chain")
    );
    let blocks = pem_blocks(&chain.html);
    assert_eq!(blocks.len(), 3, "certificate, issuing CA, root");
    assert_eq!(blocks[0].trim(), pem.html.trim());
    std::fs::write(dir.path().join("issuing.pem"), &blocks[1]).unwrap();
    std::fs::write(dir.path().join("root.pem"), &blocks[2]).unwrap();
    let verified = openssl(
        dir.path(),
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "issuing.pem",
            "cert.pem",
        ],
    );
    assert!(verified.contains("cert.pem: OK"), "{verified}");
    let subject = openssl(
        dir.path(),
        &["x509", "-in", "root.pem", "-noout", "-subject"],
    );
    assert!(subject.contains("Root"), "the last is the root: {subject}");

    // Another organisation: nothing, in any form.
    let other = app.register_org().await;
    let stranger = app.web();
    stranger.sign_in(&other.admin).await;
    assert_eq!(
        stranger
            .get(&format!("/certificates/{serial}"))
            .await
            .status,
        404
    );
    assert_eq!(
        stranger
            .get(&format!("/certificates/{serial}/download/pem"))
            .await
            .status,
        404
    );
    let theirs = stranger.get("/certificates").await;
    assert!(theirs.contains("暂无证书"));
    assert_eq!(
        web.get(&format!("/certificates/{serial}/download/zip"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn platforms_are_added_once_and_removed_on_the_details_page() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let serial = issue(&app, &org, 365).await;
    let gov = platform(&app, "辽宁省政府采购平台").await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    let page = format!("/certificates/{serial}");
    let action = format!("/certificates/{serial}/platforms");

    let empty = web.submit(&page, &action, &[("platform", "")]).await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        empty.field_error("platform").as_deref(),
        Some("请选择要关联的平台")
    );

    let done = web.submit(&page, &action, &[("platform", &gov)]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let shown = web.visit(done.location.as_deref().unwrap()).await;
    assert!(shown.contains("已新增平台"));
    assert!(shown.contains("辽宁省政府采购平台"));
    let list = web.get("/certificates").await;
    assert!(list.contains("辽宁省政府采购平台"), "关联平台 column");

    let twice = web.submit(&page, &action, &[("platform", &gov)]).await;
    assert_eq!(twice.status, 409);
    assert!(twice.contains("该证书已关联此平台，不能重复关联"));

    let removed = web
        .submit(
            &page,
            &format!("/certificates/{serial}/platforms/{gov}/unlink"),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303);
    let shown = web.visit(removed.location.as_deref().unwrap()).await;
    assert!(shown.contains("尚未关联平台"));
}

#[tokio::test]
async fn new_application_is_prefilled_from_a_certificate() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let serial = issue(&app, &org, 365).await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    let start = format!("/orders/new?kind=renew&cert_type=org_master&certificate={serial}");

    let form = web.get(&start).await;
    assert_eq!(
        form.input_value("certificate").as_deref(),
        Some(serial.as_str())
    );
    assert!(form.contains("id=\"kind-renew\" checked"));
    let fields = [
        ("kind", "renew"),
        ("cert_type", "org_master"),
        ("channel", "online"),
        ("agree_terms", "yes"),
        ("certificate", serial.as_str()),
    ];
    let started = web.submit(&start, "/orders/new", &fields).await;
    assert_eq!(started.status, 303, "{}", started.html);
    let edit = web.visit(started.location.as_deref().unwrap()).await;
    assert_eq!(
        edit.input_value("certificate_serial").as_deref(),
        Some(serial.as_str())
    );

    // Someone else's certificate cannot be started from.
    let other = app.register_org().await;
    let stranger = app.web();
    stranger.sign_in(&other.admin).await;
    let refused = stranger.submit(&start, "/orders/new", &fields).await;
    assert_eq!(refused.status, 404);
}

#[tokio::test]
async fn staff_search_and_admins_read_the_profiles() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let other = app.register_org().await;
    let serial = issue(&app, &org, 365).await;
    let theirs = issue(&app, &other, 365).await;
    let reviewer = app.web();
    reviewer.sign_in(&app.staff(Role::Reviewer).await).await;

    let found = reviewer
        .get(&format!("/admin/certificates?q={}", org.uscc))
        .await;
    assert_eq!(found.status, 200);
    assert!(found.contains(&format!("data-serial=\"{serial}\"")));
    assert!(!found.contains(&format!("data-serial=\"{theirs}\"")));
    let by_serial = reviewer
        .get(&format!(
            "/admin/certificates?q={}",
            &theirs[..10].to_lowercase()
        ))
        .await;
    assert!(by_serial.contains(&format!("data-serial=\"{theirs}\"")));
    assert_eq!(
        reviewer
            .get(&format!("/certificates/{serial}"))
            .await
            .status,
        200
    );
    assert_eq!(reviewer.get("/admin/ca/profiles").await.status, 403);

    let applicant = app.web();
    applicant.sign_in(&org.admin).await;
    assert_eq!(applicant.get("/admin/certificates").await.status, 403);

    let admin_who = app.staff(Role::Admin).await;
    let admin = app.web();
    admin.sign_in(&admin_who).await;
    let profiles = admin.get("/admin/ca/profiles").await;
    assert_eq!(profiles.status, 200);
    for text in [
        "单位主锁",
        "机构个人证书",
        "个人证书",
        "电子签章",
        "digitalSignature",
        "nonRepudiation",
        "documentSigning",
        "1.3.6.1.4.1.99999.1.4",
        "organizationIdentifier",
        "统一社会信用代码（NTRCN-…）",
        "/ocsp",
        "/crl/issuing.crl",
        "/ca/issuing.crt",
    ] {
        assert!(profiles.contains(text), "{text}");
    }
}

#[tokio::test]
async fn the_api_lists_shows_links_and_searches() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let serial = issue(&app, &org, 30).await;
    let gov = platform(&app, "辽宁省公共资源平台").await;
    let api = app.api().signed_in(&org.admin).await;

    let (status, list) = api.get("/api/v1/certificates?cert_type=org_master").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["serial"], serial.as_str());
    assert_eq!(list["items"][0]["status"], "valid");
    assert_eq!(list["items"][0]["days_left"], 30);
    assert_eq!(list["items"][0]["issuer"], "certdesk Issuing CA");

    let (status, one) = api.get(&format!("/api/v1/certificates/{serial}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        one["offers"],
        json!(["renew", "replace", "change", "cancel"])
    );
    assert_eq!(one["key_algorithm"], "ECDSA P-256");
    assert_eq!(one["available_platforms"][0]["name"], "辽宁省公共资源平台");

    let path = format!("/api/v1/certificates/{serial}/platforms");
    let (status, linked) = api.post(&path, &json!({"platform": gov})).await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(linked["platforms"][0]["name"], "辽宁省公共资源平台");
    let (status, twice) = api.post(&path, &json!({"platform": gov})).await;
    assert_eq!(status, 409);
    assert_eq!(twice["error"]["key"], "certificate.platform_linked");
    let (status, unlinked) = api.delete(&format!("{path}/{gov}")).await;
    assert_eq!(status, 200, "{unlinked}");
    assert_eq!(unlinked["platforms"], json!([]));

    let other = app.register_org().await;
    let stranger = app.api().signed_in(&other.admin).await;
    let (status, _) = stranger
        .get(&format!("/api/v1/certificates/{serial}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = stranger.get("/api/v1/admin/certificates").await;
    assert_eq!(status, 403);

    let finance = app.api().signed_in(&app.staff(Role::Finance).await).await;
    let (status, found) = finance
        .get(&format!("/api/v1/admin/certificates?q={}", org.uscc))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"][0]["serial"], serial.as_str());
    assert_eq!(found["items"][0]["credit_code"], org.uscc.as_str());
    let (status, _) = finance.get("/api/v1/admin/ca/profiles").await;
    assert_eq!(status, 403);
    let admin = app.api().signed_in(&app.staff(Role::Admin).await).await;
    let (status, profiles) = admin.get("/api/v1/admin/ca/profiles").await;
    assert_eq!(status, 200);
    assert_eq!(profiles["profiles"][0]["name"], "单位主锁");
    assert!(profiles["ocsp_url"].as_str().unwrap().ends_with("/ocsp"));

    let (_, doc) = app.api().get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/certificates/{serial}/platforms"].is_object());
}
