//! 制证 and delivery over HTTP: the production API an operator's token calls (and the
//! USB-key tool will), and the forms on the order page, with bad input named at its field
//! and kept as typed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use serde_json::{Value, json};
use testkit::TestApp;
use testkit::openssl::{p256_csr as csr, run as openssl};

fn field_key(body: &Value, field: &str) -> Option<String> {
    body["error"]["fields"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == field)
        .map(|f| f["key"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_operator_produces_over_the_api_and_the_certificate_verifies() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let org = app.register_org().await;
    let id = app
        .order_awaiting_production(&org, "new", "org_master", "mail", 1, "")
        .await;
    let operator = app.api().signed_in(&app.staff(Role::Operator).await).await;
    let applicant = app.api().signed_in(&org.admin).await;
    let path = format!("/api/v1/applications/{id}/production");

    let (status, refused) = applicant
        .post(&path, &json!({"csr": csr(dir.path(), "a")}))
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) = operator
        .post(
            &path,
            &json!({"csr": "MIIBnot-a-csr", "token_serial": "HT 1"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(field_key(&refused, "csr").as_deref(), Some("csr.malformed"));
    // A CSR whose signature does not verify: one byte of the signature changed.
    let good = csr(dir.path(), "b");
    let der = openssl(
        dir.path(),
        &["req", "-in", "b.csr", "-outform", "DER", "-out", "b.der"],
    );
    let _ = der;
    let mut bytes = std::fs::read(dir.path().join("b.der")).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let (status, refused) = operator.post(&path, &json!({"csr": forged})).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        field_key(&refused, "csr").as_deref(),
        Some("csr.bad_signature")
    );
    assert!(
        refused["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("签名"),
        "in Chinese: {refused}"
    );

    let (status, made) = operator
        .post(&path, &json!({"csr": good, "token_serial": "HT-0001"}))
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["complete"], true);
    std::fs::write(
        dir.path().join("cert.pem"),
        made["certificate"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chain.pem"),
        made["chain"].as_str().unwrap(),
    )
    .unwrap();
    let chain = made["chain"].as_str().unwrap();
    let split = chain.find("-----END CERTIFICATE-----").unwrap() + 25;
    std::fs::write(dir.path().join("issuing.pem"), chain[..split].trim()).unwrap();
    std::fs::write(dir.path().join("root.pem"), chain[split..].trim()).unwrap();
    let out = openssl(
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
    assert!(out.contains("cert.pem: OK"), "{out}");

    // Once is all: the order has moved on to shipping.
    let (status, again) = operator
        .post(&path, &json!({"csr": csr(dir.path(), "c")}))
        .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["key"], "production.not_awaiting");

    let (status, shipped) = operator
        .post(
            &format!("/api/v1/applications/{id}/shipment"),
            &json!({"carrier": "EMS", "tracking_number": "EA123456789CN"}),
        )
        .await;
    assert_eq!(status, 200, "{shipped}");
    assert_eq!(shipped["status"], "shipped");
    let (_, mine) = applicant.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(mine["delivery_details"]["tracking_number"], "EA123456789CN");
    assert_eq!(mine["certificates"][0]["token_serial"], "HT-0001");
    let (status, done) = applicant
        .post(&format!("/api/v1/applications/{id}/receipt"), &json!({}))
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "completed");
}

#[tokio::test]
async fn the_order_page_produces_keeps_what_was_typed_and_hands_over_with_the_code() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let org = app.register_org().await;
    let id = app
        .order_awaiting_production(&org, "new", "org_master", "pickup", 1, "")
        .await;
    let operator = app.web();
    operator.sign_in(&app.staff(Role::Operator).await).await;
    let order = format!("/orders/{id}");

    let page = operator.visit(&order).await;
    assert!(
        page.contains("id=\"produce-form\""),
        "the operator sees 制证"
    );
    let csrf = page.csrf();
    let version = page.input_value("version").unwrap();
    let bad = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----";
    let page = operator
        .post_with_csrf(
            &format!("{order}/produce"),
            &csrf,
            &[
                ("csr", bad),
                ("token_serial", "HT-7"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("csr").unwrap().contains("格式不正确"));
    assert!(page.contains("AAAA"), "the CSR is kept as typed");
    assert_eq!(page.input_value("token_serial").as_deref(), Some("HT-7"));

    let good = csr(dir.path(), "k");
    let page = operator
        .post_with_csrf(
            &format!("{order}/produce"),
            &csrf,
            &[
                ("csr", &good),
                ("token_serial", "HT-7"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    let page = operator.visit(&order).await;
    assert!(page.contains("id=\"certificate-list\""));
    assert!(page.contains("HT-7"));
    assert!(page.contains("id=\"hand-over-form\""));
    assert!(
        !page.contains("id=\"pickup-code\""),
        "the code is not the operator's to read"
    );

    let applicant = app.web();
    applicant.sign_in(&org.admin).await;
    let mine = applicant.visit(&order).await;
    let marker = "id=\"pickup-code\">";
    let at = mine
        .html
        .find(marker)
        .expect("the applicant sees the 领取码")
        + marker.len();
    let code = mine.html[at..at + 6].to_owned();
    assert!(!mine.contains("id=\"hand-over-form\""));

    let page = operator.visit(&order).await;
    let csrf = page.csrf();
    let version = page.input_value("version").unwrap();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let page = operator
        .post_with_csrf(
            &format!("{order}/handover"),
            &csrf,
            &[("pickup_code", wrong), ("version", &version)],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("pickup_code").is_some());
    assert_eq!(page.input_value("pickup_code").as_deref(), Some(wrong));
    let page = operator
        .post_with_csrf(
            &format!("{order}/handover"),
            &csrf,
            &[("pickup_code", &code), ("version", &version)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    let page = applicant.visit(&order).await;
    assert!(page.contains("data-status=\"completed\""));
}

#[tokio::test]
async fn a_generated_soft_certificate_downloads_once_as_pkcs12() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let org = app.register_org().await;
    let id = app
        .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
        .await;
    let operator = app.web();
    operator.sign_in(&app.staff(Role::Operator).await).await;
    let order = format!("/orders/{id}");
    let page = operator.visit(&order).await;
    let csrf = page.csrf();
    let short = operator
        .post_with_csrf(
            &format!("{order}/produce"),
            &csrf,
            &[("generate", "yes"), ("pkcs12_password", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.field_error("pkcs12_password").is_some());
    assert!(
        !short.contains("value=\"short\""),
        "a password is never echoed"
    );

    let file = operator
        .post_with_csrf(
            &format!("{order}/produce"),
            &csrf,
            &[("generate", "yes"), ("pkcs12_password", "Soft-Passw0rd")],
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.content_type.as_deref(), Some("application/x-pkcs12"));
    assert!(file.content_disposition.unwrap().contains(".p12"));
    // The key is not kept, so the file cannot be fetched again: the order has moved on. The
    // PKCS#12's content is checked through the API, for a second order.
    let page = operator.visit(&order).await;
    assert!(page.contains("data-status=\"completed\""));

    let id2 = app
        .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
        .await;
    let api = app.api().signed_in(&app.staff(Role::Operator).await).await;
    let (status, made) = api
        .post(
            &format!("/api/v1/applications/{id2}/production"),
            &json!({"generate": "yes", "pkcs12_password": "Soft-Passw0rd"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    use base64::Engine as _;
    let p12 = base64::engine::general_purpose::STANDARD
        .decode(made["pkcs12"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.path().join("soft.p12"), p12).unwrap();
    let dump = openssl(
        dir.path(),
        &[
            "pkcs12",
            "-in",
            "soft.p12",
            "-passin",
            "pass:Soft-Passw0rd",
            "-nodes",
        ],
    );
    assert!(dump.contains("BEGIN PRIVATE KEY"));
}
