//! The order pages over HTTP: who may see and do what, and bad input kept as typed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use testkit::{OrgFixture, TestApp, WebClient, ids};

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Starts a 新办 (单位主锁, 网上办理) through the pages; returns the order's id.
async fn start(web: &WebClient) -> String {
    let page = web
        .submit(
            "/orders/new",
            "/orders/new",
            &[
                ("kind", "new"),
                ("cert_type", "org_master"),
                ("channel", "online"),
                ("agree_terms", "yes"),
            ],
        )
        .await;
    let to = page.location.expect("redirected to the form");
    let id = to
        .strip_prefix("/orders/")
        .and_then(|r| r.strip_suffix("/edit"))
        .expect("/orders/{id}/edit");
    id.to_owned()
}

async fn signed_in_org(app: &TestApp) -> (OrgFixture, WebClient) {
    let org = app.register_org().await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    (org, web)
}

fn handler_fields(n: u32) -> Vec<(&'static str, String)> {
    vec![
        ("handler_name", "张经办".to_owned()),
        ("handler_id_number", ids::id_number(n)),
        ("handler_mobile", ids::mobile(n)),
        ("handler_email", format!("h{n}@example.com")),
        ("quantity", "2".to_owned()),
        ("years", "1".to_owned()),
        ("delivery", "mail".to_owned()),
        ("mail_address", "杭州市西湖区文三路90号".to_owned()),
        ("mail_recipient", "收件人".to_owned()),
        ("mail_phone", ids::mobile(n + 1)),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_terms_must_be_agreed_and_the_choice_is_kept() {
    let app = TestApp::start().await;
    let (_, web) = signed_in_org(&app).await;
    let page = web
        .submit(
            "/orders/new",
            "/orders/new",
            &[
                ("kind", "renew"),
                ("cert_type", "org_staff"),
                ("channel", "onsite"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("agree_terms").as_deref(),
        Some("请先阅读条款并点击同意")
    );
    for id in ["kind-renew", "cert_type-org_staff", "channel-onsite"] {
        let at = page.html.find(&format!("id=\"{id}\"")).unwrap();
        let tag_end = page.html[at..].find('>').unwrap() + at;
        assert!(page.html[at..tag_end].contains("checked"), "{id} not kept");
    }
}

#[tokio::test]
async fn a_refused_upload_stores_nothing_and_keeps_everything_typed() {
    let app = TestApp::start().await;
    let (_, web) = signed_in_org(&app).await;
    let id = start(&web).await;
    let edit = format!("/orders/{id}/edit");
    let csrf = web.get(&edit).await.csrf();
    let typed = handler_fields(app.unique());
    let mut fields = refs(&typed);
    fields.push(("intent", "save"));
    // A PNG that claims to be a PDF, and a file of the wrong type.
    let page = web
        .post_multipart(
            &edit,
            &csrf,
            &fields,
            &[
                ("file_business_licence", "营业执照.pdf", PNG),
                ("file_handler_id", "身份证.txt", b"hello"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert_eq!(
        page.field_error("business_licence").as_deref(),
        Some("文件内容与扩展名不符，请上传真实的JPG、PNG或PDF文件")
    );
    assert_eq!(
        page.field_error("handler_id").as_deref(),
        Some("只能上传JPG、PNG或PDF文件")
    );
    for (name, value) in &typed {
        if *name != "years" && *name != "delivery" {
            assert_eq!(
                page.input_value(name).as_deref(),
                Some(value.as_str()),
                "{name}"
            );
        }
    }
    assert!(
        !page.contains("class=\"uploaded\""),
        "a refused file was stored"
    );
    // The typed form was saved as a draft all the same.
    let again = web.get(&edit).await;
    assert_eq!(again.input_value("handler_name").as_deref(), Some("张经办"));
}

#[tokio::test]
async fn submitting_names_every_missing_field_and_document() {
    let app = TestApp::start().await;
    let (_, web) = signed_in_org(&app).await;
    let id = start(&web).await;
    let edit = format!("/orders/{id}/edit");
    let csrf = web.get(&edit).await.csrf();
    let page = web
        .post_multipart(
            &edit,
            &csrf,
            &[("intent", "submit"), ("handler_mobile", "138 0000 0000")],
            &[],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("handler_mobile").as_deref(),
        Some("手机号码只能包含数字，不能有空格、横线或+86")
    );
    assert_eq!(
        page.input_value("handler_mobile").as_deref(),
        Some("138 0000 0000")
    );
    assert!(page.field_error("handler_name").is_some());
    assert_eq!(
        page.field_error("acknowledge").as_deref(),
        Some("请勾选“本机构已知晓由于CA证书的特殊性，一旦申请，不能退办”")
    );
    assert_eq!(
        page.field_error("business_licence").as_deref(),
        Some("请上传此电子件")
    );
    let order = web.get(&format!("/orders/{id}")).await;
    assert!(order.contains("草稿"), "still a draft");
}

/// Every order route, tried by someone of another organisation, by an individual and
/// by a stranger: nothing is shown and nothing changes.
#[tokio::test]
async fn other_organisations_cannot_see_or_touch_an_order() {
    let app = TestApp::start().await;
    let (_, owner) = signed_in_org(&app).await;
    let id = start(&owner).await;
    let edit = format!("/orders/{id}/edit");
    let csrf = owner.get(&edit).await.csrf();
    let typed = handler_fields(app.unique());
    let mut fields = refs(&typed);
    fields.push(("intent", "save"));
    let saved = owner
        .post_multipart(&edit, &csrf, &fields, &[("file_handler_id", "id.png", PNG)])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let order_page = owner.get(&format!("/orders/{id}")).await;
    let doc = {
        let marker = format!("/orders/{id}/documents/");
        let at = order_page.html.find(&marker).unwrap() + marker.len();
        order_page.html[at..at + 36].to_owned()
    };

    let (_, other) = signed_in_org(&app).await;
    let person = app.register_individual().await;
    let individual = app.web();
    individual.sign_in(&person).await;

    let gets = [
        format!("/orders/{id}"),
        format!("/orders/{id}/edit"),
        format!("/orders/{id}/status"),
        format!("/orders/{id}/documents/{doc}"),
        format!("/orders/{id}/templates/application_form"),
    ];
    let posts = [
        format!("/orders/{id}/withdraw"),
        format!("/orders/{id}/pay"),
        format!("/orders/{id}/payment/refresh"),
        format!("/orders/{id}/review"),
    ];
    for intruder in [&other, &individual] {
        let csrf = intruder.get("/orders").await.csrf();
        for path in &gets {
            let page = intruder.get(path).await;
            assert!(
                page.status == 404 || page.status == 403,
                "{path}: {}",
                page.status
            );
            assert!(!page.contains("张经办"), "{path} shows the order");
        }
        for path in &posts {
            let page = intruder
                .post_with_csrf(path, &csrf, &[("decision", "approve")])
                .await;
            assert!(
                page.status == 404 || page.status == 403,
                "{path}: {}",
                page.status
            );
        }
        let page = intruder
            .post_multipart(
                &edit,
                &csrf,
                &[("intent", "save"), ("handler_name", "入侵者")],
                &[("file_statement", "x.png", PNG)],
            )
            .await;
        assert!(
            page.status == 404 || page.status == 403,
            "edit: {}",
            page.status
        );
        let list = intruder.get("/orders").await;
        assert!(!list.contains(&id), "listed to another organisation");
    }
    let stranger = app.web();
    for path in &gets {
        let page = stranger.get(path).await;
        assert_eq!(page.location.as_deref(), Some("/signin"), "{path}");
    }
    // The owner's order is as it was.
    let after = owner.get(&edit).await;
    assert_eq!(after.input_value("handler_name").as_deref(), Some("张经办"));
    assert!(!after.contains("statement\" target"));
    let history = owner.get(&format!("/orders/{id}")).await;
    assert!(history.contains("草稿"));
}

#[tokio::test]
async fn the_queue_is_for_staff_and_exports_csv() {
    let app = TestApp::start().await;
    let (org, web) = signed_in_org(&app).await;
    let refused = web.get("/queue").await;
    assert_eq!(refused.status, 403);
    assert_eq!(web.get("/queue/export.csv").await.status, 403);

    let reviewer = app.staff(Role::Reviewer).await;
    let staff = app.web();
    staff.sign_in(&reviewer).await;
    let queue = staff.get("/queue?stage=first&overdue=yes").await;
    assert_eq!(queue.status, 200);
    assert!(queue.contains("代办事宜"));
    let bad = staff.get("/queue?stage=nonsense").await;
    assert_eq!(bad.status, 200);
    assert!(bad.contains("未知的审核环节"));

    let res = reqwest::Client::new()
        .get(format!("{}/queue/export.csv?q={}", app.url, org.uscc))
        .send()
        .await
        .unwrap();
    // Without the reviewer's session: sent to sign in.
    assert!(res.url().path() == "/signin" || res.status().is_redirection());
    let csv = staff.get("/queue/export.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.html.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(csv.html.contains("订单号"));
}

#[tokio::test]
async fn templates_download_with_their_chinese_names() {
    let app = TestApp::start().await;
    let (_, web) = signed_in_org(&app).await;
    let id = start(&web).await;
    let page = web
        .get(&format!("/orders/{id}/templates/power_of_attorney"))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.content_type.as_deref(),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    let disposition = page.content_disposition.unwrap();
    assert!(
        disposition.contains(
            "filename*=UTF-8''%E6%B3%95%E4%BA%BA%E6%8E%88%E6%9D%83%E5%A7%94%E6%89%98%E4%B9%A6.docx"
        ),
        "{disposition}"
    );
    let unknown = web.get(&format!("/orders/{id}/templates/nothing")).await;
    assert_eq!(unknown.status, 404);
}
