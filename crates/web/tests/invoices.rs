//! Invoices over HTTP: the 开票信息 form from the order keeps everything typed and names each
//! bad field in Chinese; finance issues from its desk with the PDF; the applicant downloads it
//! from 发票管理; the same through the JSON API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use serde_json::json;
use testkit::TestApp;

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date()
        .to_string()
}

#[tokio::test]
async fn the_applicant_asks_on_the_order_finance_issues_and_the_applicant_downloads() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let id = app
        .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
        .await;
    let applicant = app.web();
    applicant.sign_in(&org.admin).await;
    let order = applicant.get(&format!("/orders/{id}")).await;
    assert!(
        order.contains(&format!("/orders/{id}/invoice")),
        "the 开票信息 section links the form"
    );
    let form = format!("/orders/{id}/invoice");
    let page = applicant.get(&form).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("开票单位名称") && page.contains("仅字母或数字"));

    // Bad fields: 422, each message next to its field, every value exactly as typed.
    let typed = [
        ("invoice_type", "e_special"),
        ("buyer_name", "济南某某科技有限公司"),
        ("tax_id", "91370000 7535433330"),
        ("buyer_address", "济南市汉峪金谷"),
        ("buyer_phone", "0531-88888888"),
        ("bank_name", "中国银行济南分行"),
        ("bank_account", ""),
        ("notify_mobile", "18769628833"),
        ("notify_email", ""),
    ];
    let refused = applicant.submit(&form, &form, &typed).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused
            .field_error("buyer_phone")
            .unwrap()
            .contains("特殊字符")
    );
    assert!(
        refused
            .field_error("tax_id")
            .unwrap()
            .contains("纳税人识别号")
    );
    assert!(
        refused
            .field_error("bank_account")
            .unwrap()
            .contains("银行账号")
    );
    assert_eq!(refused.input_value("buyer_phone").unwrap(), "0531-88888888");
    assert_eq!(
        refused.input_value("tax_id").unwrap(),
        "91370000 7535433330"
    );
    assert_eq!(
        refused.input_value("buyer_name").unwrap(),
        "济南某某科技有限公司"
    );

    let mut good = typed;
    good[2] = ("tax_id", "913700007535433330");
    good[4] = ("buyer_phone", "053188888888");
    good[6] = ("bank_account", "6217000000000000");
    let saved = applicant.submit(&form, &form, &good).await;
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{form}?notice=notice.invoice_saved").as_str()),
        "{}",
        saved.html
    );
    let shown = applicant.get(&form).await;
    assert!(shown.contains("待开票"));
    assert_eq!(
        shown.input_value("bank_account").unwrap(),
        "6217000000000000"
    );

    // Finance's desk: the queue, then issuing with a PDF.
    let finance = app.web();
    finance.sign_in(&app.staff(Role::Finance).await).await;
    let queue = finance.get("/finance/invoices").await;
    assert_eq!(queue.status, 200);
    assert!(queue.contains(&format!("/finance/invoices/{id}")));
    let desk_path = format!("/finance/invoices/{id}");
    let desk = finance.get(&desk_path).await;
    assert!(desk.contains("913700007535433330"));
    let csrf = desk.csrf();
    let issue = format!("/finance/invoices/{id}/issue");
    let bad = finance
        .post_multipart(
            &issue,
            &csrf,
            &[("invoice_number", "12345678"), ("issued_on", &today())],
            &[("pdf", "fapiao.pdf", PDF)],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("invoice_number").unwrap().contains("20位"));
    assert_eq!(bad.input_value("invoice_number").unwrap(), "12345678");
    let done = finance
        .post_multipart(
            &issue,
            &csrf,
            &[
                ("invoice_number", "25372000000012345678"),
                ("issued_on", &today()),
            ],
            &[("pdf", "fapiao.pdf", PDF)],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{desk_path}?notice=notice.invoice_issued").as_str()),
        "{}",
        done.html
    );
    // An applicant has no desk.
    assert_eq!(applicant.get(&desk_path).await.status, 403);

    // 发票管理: the number and the PDF; the form is read-only now.
    let mine = applicant.get("/invoices").await;
    assert!(mine.contains("25372000000012345678") && mine.contains("已开票"));
    let pdf = applicant.get(&format!("/invoices/{id}/pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type.as_deref(), Some("application/pdf"));
    assert!(pdf.html.starts_with("%PDF-"));
    let read_only = applicant.get(&form).await;
    assert!(read_only.contains("invoice-read-only"));
    assert!(!read_only.contains("id=\"invoice-form\""));
    let notes = applicant.get("/notifications").await;
    assert!(notes.contains("发票") && notes.contains("已开票"));
}

#[tokio::test]
async fn the_api_asks_lists_issues_and_downloads() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let id = app
        .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
        .await;
    let applicant = app.api().signed_in(&org.admin).await;
    let path = format!("/api/v1/applications/{id}/invoice");
    let (status, before) = applicant.get(&path).await;
    assert_eq!(status, 200, "{before}");
    assert!(before["invoice"].is_null());
    assert_eq!(before["can_request"], true);

    let mut body = json!({
        "invoice_type": "e_normal",
        "buyer_name": "杭州某某有限公司",
        "tax_id": "91330100MA2B3C4D5E",
        "notify_email": "cw@example.com",
    });
    let (status, refused) = applicant.put(&path, &body).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("tax_id"), "{refused}");
    body["tax_id"] = json!(testkit::ids::uscc(41));
    let (status, asked) = applicant.put(&path, &body).await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["status"], "pending");

    let finance = app.api().signed_in(&app.staff(Role::Finance).await).await;
    let (status, queue) = finance.get("/api/v1/finance/invoices?status=pending").await;
    assert_eq!(status, 200);
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let (status, _) = applicant.get("/api/v1/finance/invoices").await;
    assert_eq!(status, 403);

    let issue = format!(
        "/api/v1/finance/invoices/{id}/issue?invoice_number=25332000000000000001&issued_on={}",
        today()
    );
    let (status, e) = finance
        .post_bytes(&issue, "application/pdf", b"not a pdf".to_vec())
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, issued) = finance
        .post_bytes(&issue, "application/pdf", PDF.to_vec())
        .await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["status"], "issued");
    let (status, again) = finance
        .post_bytes(&issue, "application/pdf", PDF.to_vec())
        .await;
    assert_eq!(status, 409, "{again}");

    let (_, mine) = applicant.get("/api/v1/invoices").await;
    assert_eq!(mine[0]["invoice_number"], "25332000000000000001");
    let file = applicant
        .download(&format!("/api/v1/invoices/{id}/pdf"))
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, PDF);

    let (_, doc) = applicant.get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/finance/invoices/{id}/issue"].is_object());
    assert!(doc["paths"]["/api/v1/applications/{id}/invoice"]["put"].is_object());
}
