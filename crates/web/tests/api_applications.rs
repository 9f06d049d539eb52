//! Applications over /api/v1, each test on its own server and database, on SQLite and
//! PostgreSQL: the whole journey to 待制证, who may touch which order on every route,
//! double clicks, bad uploads, and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use serde_json::{Value, json};
use testkit::{ApiClient, Rows, TestApp, ids};

/// The smallest files of each type the content check accepts.
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

const MB: usize = 1024 * 1024;

fn form() -> Value {
    json!({
        "handler_name": "张三",
        "handler_id_number": ids::id_number(7),
        "handler_mobile": ids::mobile(77),
        "handler_email": "zhangsan@example.com",
        "quantity": "2",
        "years": "1",
        "delivery": "mail",
        "mail_address": "杭州市西湖区转塘街道1号",
        "mail_recipient": "张三",
        "mail_phone": ids::mobile(78),
    })
}

fn submission() -> Value {
    let mut f = form();
    f["acknowledge"] = json!("yes");
    f
}

/// 新增申请 of a remote 新办 for 单位主锁; returns its id.
async fn start(api: &ApiClient) -> String {
    let (status, view) = api
        .post(
            "/api/v1/applications",
            &json!({"kind": "new", "cert_type": "org_master", "channel": "online", "agree_terms": "yes"}),
        )
        .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["status"], "draft");
    view["id"].as_str().unwrap().to_owned()
}

async fn view(api: &ApiClient, id: &str) -> Value {
    let (status, view) = api.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Uploads a PNG for every required document; returns the id of the last one.
async fn upload_required(api: &ApiClient, id: &str) -> String {
    let v = view(api, id).await;
    let mut last = String::new();
    for r in v["requirements"].as_array().unwrap() {
        if r["required"] == true {
            let kind = r["document_kind"].as_str().unwrap();
            let (status, doc) = api
                .put_bytes(
                    &format!("/api/v1/applications/{id}/documents/{kind}?file_name=scan.png"),
                    PNG.to_vec(),
                )
                .await;
            assert_eq!(status, 201, "{kind}: {doc}");
            assert_eq!(doc["document_kind"], kind);
            last = doc["id"].as_str().unwrap().to_owned();
        }
    }
    last
}

fn field_errors(body: &Value) -> Vec<(String, String, String)> {
    body["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors in {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["key"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn transitions(view: &Value) -> Vec<String> {
    view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["transition"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_order_goes_over_the_api_from_draft_to_awaiting_production() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let api = app.api().signed_in(&org.admin).await;
    let reviewer = app.api().signed_in(&app.staff(Role::Reviewer).await).await;

    let id = start(&api).await;
    let v = view(&api, &id).await;
    assert!(v["order_number"].as_str().unwrap().starts_with("CA"));
    assert_eq!(v["actions"], json!(["edit", "submit", "withdraw"]));

    // 修改保存 keeps what was typed, even wrong; a stale version is refused.
    let mut draft = form();
    draft["handler_id_number"] = json!("110105199001010001");
    draft["version"] = v["version"].clone();
    let (status, saved) = api.put(&format!("/api/v1/applications/{id}"), &draft).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["form"]["handler_id_number"], "110105199001010001");
    let (status, stale) = api.put(&format!("/api/v1/applications/{id}"), &draft).await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["key"], "application.changed_meanwhile");

    // Submitting names every problem, the missing documents too, in Chinese.
    let (status, refused) = api
        .post(
            &format!("/api/v1/applications/{id}/submit"),
            &json!({"handler_id_number": "110105199001010001"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let errors = field_errors(&refused);
    for (field, key) in [
        ("handler_id_number", "id_number.check_digit"),
        ("acknowledge", "application.acknowledge_required"),
        ("business_licence", "document.missing"),
        ("handler_id", "document.missing"),
    ] {
        assert!(
            errors.iter().any(|(f, k, _)| f == field && k == key),
            "{field} {key} in {errors:?}"
        );
    }
    let missing = errors
        .iter()
        .find(|(f, _, _)| f == "business_licence")
        .unwrap();
    assert_eq!(missing.2, "请上传此电子件");

    // 电子件: upload, then download with its type and its name in UTF-8.
    upload_required(&api, &id).await;
    let (status, licence) = api
        .put_bytes(
            &format!("/api/v1/applications/{id}/documents/business_licence?file_name=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"),
            PDF.to_vec(),
        )
        .await;
    assert_eq!(status, 201, "{licence}");
    assert_eq!(licence["file_name"], "营业执照.pdf");
    assert_eq!(licence["content_type"], "application/pdf");
    let file = api
        .download(&format!(
            "/api/v1/applications/{id}/documents/{}",
            licence["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, PDF);
    assert_eq!(file.content_type.as_deref(), Some("application/pdf"));
    let disposition = file.content_disposition.unwrap();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"),
        "{disposition}"
    );

    // The prefilled 法人授权委托书.
    let docx = api
        .download(&format!(
            "/api/v1/applications/{id}/templates/power_of_attorney"
        ))
        .await;
    assert_eq!(docx.status, 200);
    assert!(docx.body.starts_with(b"PK"), "a .docx is a zip");
    assert_eq!(
        docx.content_type.as_deref(),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    assert!(docx.content_disposition.unwrap().contains(
        "filename*=UTF-8''%E6%B3%95%E4%BA%BA%E6%8E%88%E6%9D%83%E5%A7%94%E6%89%98%E4%B9%A6.docx"
    ));
    let (status, _) = api
        .get(&format!("/api/v1/applications/{id}/templates/nonsense"))
        .await;
    assert_eq!(status, 404);

    // 提交: priced (300 元 × 2 + 10 元 mail) and waiting for payment.
    let (status, submitted) = api
        .post(&format!("/api/v1/applications/{id}/submit"), &submission())
        .await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["status"], "awaiting_payment");
    assert_eq!(submitted["amount"], 61_000);
    assert_eq!(submitted["actions"], json!(["withdraw", "pay"]));

    // Pay: a code URL and the amount; the payer confirms in the sandbox; 刷新支付状态.
    let (status, payment) = api
        .post(&format!("/api/v1/applications/{id}/payment"), &json!({}))
        .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["amount"], 61_000);
    assert_eq!(payment["status"], "pending");
    let code_url = payment["code_url"].as_str().unwrap();
    assert!(code_url.starts_with(&format!("{}/sandbox/pay/", app.url)));
    assert!(payment["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let (status, state) = api
        .post(
            &format!("/api/v1/applications/{id}/payment/refresh"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (state["paid"].clone(), state["status"].clone()),
        (json!(false), json!("awaiting_payment"))
    );
    app.confirm_sandbox_payment(code_url).await;
    let (status, state) = api
        .post(
            &format!("/api/v1/applications/{id}/payment/refresh"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["paid"], true);
    assert_eq!(state["status"], "awaiting_first_review");
    assert_eq!(state["payment"]["status"], "paid");
    let (status, refused) = api
        .post(&format!("/api/v1/applications/{id}/withdraw"), &json!({}))
        .await;
    assert_eq!(
        (status, refused["error"]["key"].clone()),
        (409, json!("transition.withdraw_after_payment"))
    );
    assert_eq!(
        refused["error"]["message"],
        "已支付的申请不能撤回（一旦申请，不能退办）"
    );

    // 订单管理 with its filters.
    let (status, list) = api
        .get("/api/v1/applications?status=awaiting_first_review")
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["items"][0]["paid"], true);
    let (_, none) = api.get("/api/v1/applications?status=draft").await;
    assert_eq!(none["total"], 0);
    let (status, bad) = api
        .get("/api/v1/applications?status=nonsense&from=2026-13-01")
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(field_errors(&bad)[0].0, "status");

    // 代办事宜, 初审 then 终审 (paper materials), and the CSV.
    let (status, queue) = reviewer.get("/api/v1/queue?stage=first").await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert!(queue["items"][0]["due_on"].is_string(), "an SLA date");
    let v = view(&reviewer, &id).await;
    assert_eq!(v["actions"], json!(["review"]));
    let (status, reviewed) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "approve", "comment": "材料齐全", "version": v["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{reviewed}");
    assert_eq!(reviewed["status"], "awaiting_final_review");
    let (status, refused) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_errors(&refused),
        [(
            "paper_received".into(),
            "review.paper_required".into(),
            "终审前请确认已收到纸质材料".into()
        )]
    );
    let (status, refused) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "maybe"}),
        )
        .await;
    assert_eq!(status, 422, "an unknown decision: {refused}");
    let (status, done) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "approve", "paper_received": "yes"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "awaiting_production");
    assert_eq!(
        transitions(&done),
        ["created", "submitted", "paid", "approved", "approved"]
    );

    let csv = reviewer
        .download("/api/v1/applications/export.csv?status=awaiting_production")
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.content_type.as_deref(), Some("text/csv; charset=utf-8"));
    assert!(
        csv.content_disposition
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("\u{feff}订单号,业务类型"));
    assert!(text.contains(done["order_number"].as_str().unwrap()));
    assert_eq!(text.lines().count(), 2, "the header and the one order");

    // The applicant sees the same order at 待制证.
    assert_eq!(view(&api, &id).await["status"], "awaiting_production");
}

/// What a route is called with in the access table.
enum Send {
    Empty,
    Json(Value),
    File(&'static [u8]),
}

struct Route {
    method: &'static str,
    path: String,
    send: Send,
    staff_only: bool,
}

async fn call(api: &ApiClient, r: &Route) -> (u16, Value) {
    match &r.send {
        Send::Empty => api.call(r.method, &r.path, None).await,
        Send::Json(body) => api.call(r.method, &r.path, Some(body)).await,
        Send::File(bytes) => api.put_bytes(&r.path, bytes.to_vec()).await,
    }
}

/// Everything about an application that must not move when others knock.
async fn snapshot(app: &TestApp, owner: &ApiClient, id: &str) -> (Value, i64, i64, i64) {
    (
        view(owner, id).await,
        app.count(Rows::Documents, id).await,
        app.count(Rows::Payments, id).await,
        app.count(Rows::Events, id).await,
    )
}

#[tokio::test]
async fn no_route_lets_another_organisation_or_an_individual_near_an_order() {
    let app = TestApp::start().await;
    let owner_org = app.register_org().await;
    let owner = app.api().signed_in(&owner_org.admin).await;
    let other = app.api().signed_in(&app.register_org().await.admin).await;
    let individual = app.api().signed_in(&app.register_individual().await).await;
    let reviewer = app.api().signed_in(&app.staff(Role::Reviewer).await).await;
    let nobody = app.api();

    // A draft with a document, and an order waiting for payment.
    let draft = start(&owner).await;
    let doc = upload_required(&owner, &draft).await;
    let payable = start(&owner).await;
    upload_required(&owner, &payable).await;
    let (status, _) = owner
        .post(
            &format!("/api/v1/applications/{payable}/submit"),
            &submission(),
        )
        .await;
    assert_eq!(status, 200);

    let route = |method, path: String, send, staff_only| Route {
        method,
        path,
        send,
        staff_only,
    };
    let routes = vec![
        route(
            "GET",
            format!("/api/v1/applications/{draft}"),
            Send::Empty,
            false,
        ),
        route(
            "PUT",
            format!("/api/v1/applications/{draft}"),
            Send::Json(form()),
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{draft}/submit"),
            Send::Json(submission()),
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{draft}/withdraw"),
            Send::Empty,
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{draft}/key-readout"),
            Send::Json(json!({"certificate": "MIIB", "token_serial": "HT-1"})),
            false,
        ),
        route(
            "PUT",
            format!("/api/v1/applications/{draft}/documents/handler_id?file_name=mine.png"),
            Send::File(PNG),
            false,
        ),
        route(
            "GET",
            format!("/api/v1/applications/{draft}/documents/{doc}"),
            Send::Empty,
            false,
        ),
        route(
            "GET",
            format!("/api/v1/applications/{draft}/templates/power_of_attorney"),
            Send::Empty,
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/payment"),
            Send::Empty,
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/payment/refresh"),
            Send::Empty,
            false,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/review"),
            Send::Json(json!({"decision": "reject", "comment": "不是我的"})),
            true,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/production"),
            Send::Json(json!({"generate": "yes", "pkcs12_password": "Passw0rd-x"})),
            true,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/shipment"),
            Send::Json(json!({"carrier": "EMS", "tracking_number": "EA123456789CN"})),
            true,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/handover"),
            Send::Json(json!({"pickup_code": "123456"})),
            true,
        ),
        route(
            "POST",
            format!("/api/v1/applications/{payable}/receipt"),
            Send::Empty,
            false,
        ),
        route(
            "GET",
            format!("/api/v1/applications/{payable}/invoice"),
            Send::Empty,
            false,
        ),
        route(
            "PUT",
            format!("/api/v1/applications/{payable}/invoice"),
            Send::Json(
                json!({"invoice_type": "e_normal", "buyer_name": "不是我的单位", "notify_email": "x@example.com"}),
            ),
            false,
        ),
        route("GET", "/api/v1/queue".into(), Send::Empty, true),
        route(
            "GET",
            "/api/v1/applications/export.csv".into(),
            Send::Empty,
            true,
        ),
    ];
    // Every application route of the OpenAPI document is in the table (or below).
    let (_, doc_json) = nobody.get("/api/v1/openapi.json").await;
    let documented = doc_json["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/applications") || *p == "/api/v1/queue")
        .map(|(_, ops)| ops.as_object().unwrap().len())
        .sum::<usize>();
    assert_eq!(documented, routes.len() + 2, "table + list + start");

    let before = (
        snapshot(&app, &owner, &draft).await,
        snapshot(&app, &owner, &payable).await,
    );

    for r in &routes {
        for (who, client) in [
            ("another organisation", &other),
            ("an individual", &individual),
        ] {
            let (status, body) = call(client, r).await;
            assert!(
                status == 403 || status == 404,
                "{} {} by {who}: {status} {body}",
                r.method,
                r.path
            );
            assert!(
                body["error"]["key"].is_string(),
                "the error envelope: {body}"
            );
        }
        let (status, body) = call(&nobody, r).await;
        assert_eq!(
            status, 401,
            "{} {} unauthenticated: {body}",
            r.method, r.path
        );
        assert_eq!(body["error"]["key"], "error.unauthenticated");
        assert_eq!(body["error"]["message"], "请先登录。");
        if r.staff_only {
            let (status, body) = call(&owner, r).await;
            assert_eq!(status, 403, "{} {} by the owner: {body}", r.method, r.path);
        }
    }
    // Staff read, but do not act for the applicant.
    for r in routes.iter().filter(|r| {
        matches!(r.method, "PUT" | "POST") && !r.staff_only && !r.path.ends_with("/refresh")
    }) {
        let (status, body) = call(&reviewer, r).await;
        assert_eq!(status, 403, "{} {} by a reviewer: {body}", r.method, r.path);
    }

    // Lists: others see none of the owner's orders; nobody sees anything.
    for client in [&other, &individual] {
        let (status, list) = client.get("/api/v1/applications").await;
        assert_eq!((status, list["total"].clone()), (200, json!(0)), "{list}");
    }
    let (status, _) = nobody.get("/api/v1/applications").await;
    assert_eq!(status, 401);
    let (status, _) = nobody
        .post(
            "/api/v1/applications",
            &json!({"kind": "new", "cert_type": "org_master", "channel": "online", "agree_terms": "yes"}),
        )
        .await;
    assert_eq!(status, 401);
    let (_, mine) = owner.get("/api/v1/applications").await;
    assert_eq!(mine["total"], 2);

    // A document of one order cannot be fetched through another order's path.
    let own = start(&other).await;
    let (status, _) = other
        .get(&format!("/api/v1/applications/{own}/documents/{doc}"))
        .await;
    assert_eq!(status, 404);
    // Nonsense ids are not found, not errors.
    let (status, _) = owner.get("/api/v1/applications/not-an-id").await;
    assert_eq!(status, 404);
    let (status, _) = owner
        .get(&format!("/api/v1/applications/{draft}/documents/not-an-id"))
        .await;
    assert_eq!(status, 404);

    let after = (
        snapshot(&app, &owner, &draft).await,
        snapshot(&app, &owner, &payable).await,
    );
    assert_eq!(before, after, "nothing changed");
}

#[tokio::test]
async fn a_double_clicked_submit_or_payment_makes_one_record() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let api = app.api().signed_in(&org.admin).await;
    let id = start(&api).await;
    upload_required(&api, &id).await;

    let submit = format!("/api/v1/applications/{id}/submit");
    let body = submission();
    let (a, b) = tokio::join!(api.post(&submit, &body), api.post(&submit, &body));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let v = view(&api, &id).await;
    assert_eq!(v["status"], "awaiting_payment");
    assert_eq!(
        transitions(&v).iter().filter(|t| *t == "submitted").count(),
        1
    );

    let pay = format!("/api/v1/applications/{id}/payment");
    let empty = json!({});
    let (a, b) = tokio::join!(api.post(&pay, &empty), api.post(&pay, &empty));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    assert_eq!(a.1["out_trade_no"], b.1["out_trade_no"], "one trade");
    assert_eq!(app.count(Rows::Payments, &id).await, 1);
    assert_eq!(app.count(Rows::SandboxTrades, &id).await, 1);
    let (status, again) = api.post(&pay, &json!({})).await;
    assert_eq!(
        (status, &again["out_trade_no"]),
        (200, &a.1["out_trade_no"])
    );

    app.confirm_sandbox_payment(a.1["code_url"].as_str().unwrap())
        .await;
    let refresh = format!("/api/v1/applications/{id}/payment/refresh");
    let (a, b) = tokio::join!(api.post(&refresh, &empty), api.post(&refresh, &empty));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    let v = view(&api, &id).await;
    assert_eq!(v["status"], "awaiting_first_review");
    assert_eq!(transitions(&v).iter().filter(|t| *t == "paid").count(), 1);
    assert_eq!(app.count(Rows::Payments, &id).await, 1);
    let (status, refused) = api.post(&pay, &json!({})).await;
    assert_eq!(
        (status, refused["error"]["key"].clone()),
        (409, json!("transition.not_awaiting_payment"))
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_with_the_field_named_and_nothing_stored() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let api = app.api().signed_in(&org.admin).await;
    let id = start(&api).await;
    let put = |kind: &str, name: &str| {
        format!("/api/v1/applications/{id}/documents/{kind}?file_name={name}")
    };

    let just_over = [PDF, &vec![0u8; 10 * MB][..]].concat();
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        (
            "big.pdf",
            just_over,
            "document.too_large",
            "文件超过10MB，请压缩后再上传",
        ),
        (
            "photo.pdf",
            PNG.to_vec(),
            "document.extension_mismatch",
            "文件内容与扩展名不符，请上传真实的JPG、PNG或PDF文件",
        ),
        (
            "setup.pdf",
            b"MZ\x90\x00 not a pdf".to_vec(),
            "document.unsupported_type",
            "只能上传JPG、PNG或PDF文件",
        ),
        (
            "empty.png",
            Vec::new(),
            "document.empty",
            "文件是空的，请重新选择",
        ),
    ];
    for (name, content, key, message) in cases {
        let (status, body) = api.put_bytes(&put("handler_id", name), content).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(
            field_errors(&body),
            [("handler_id".into(), key.into(), message.into())],
            "{name}"
        );
    }

    // Past what the route reads at all: refused while reading, in the same envelope.
    let (status, body) = api
        .put_bytes(&put("handler_id", "huge.pdf"), vec![b'%'; 11 * MB + 1])
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(field_errors(&body)[0].0, "handler_id");
    assert_eq!(field_errors(&body)[0].1, "document.too_large");

    // An unknown document kind is a field error too.
    let (status, body) = api.put_bytes(&put("diploma", "a.png"), PNG.to_vec()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(field_errors(&body)[0].0, "document_kind");

    // Other routes keep the 1 MB limit.
    let mut big_form = form();
    big_form["change_details"] = json!("很".repeat(MB));
    let (status, _) = api
        .put(&format!("/api/v1/applications/{id}"), &big_form)
        .await;
    assert_eq!(status, 413);

    assert_eq!(app.count(Rows::Documents, &id).await, 0);
    let v = view(&api, &id).await;
    assert!(
        v["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["uploaded"].is_null())
    );

    // A real one after all that is stored once; exactly 10 MB is allowed.
    let ten = [PDF, &vec![0u8; 10 * MB - PDF.len()][..]].concat();
    let (status, body) = api.put_bytes(&put("handler_id", "ten.pdf"), ten).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["size"], 10 * MB);
    assert_eq!(app.count(Rows::Documents, &id).await, 1);
}

#[tokio::test]
async fn every_application_route_is_in_the_openapi_document() {
    let app = TestApp::start().await;
    let (status, doc) = app.api().get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    for (method, path) in [
        ("post", "/api/v1/applications"),
        ("get", "/api/v1/applications"),
        ("get", "/api/v1/applications/{id}"),
        ("put", "/api/v1/applications/{id}"),
        ("post", "/api/v1/applications/{id}/submit"),
        ("post", "/api/v1/applications/{id}/withdraw"),
        ("put", "/api/v1/applications/{id}/documents/{document}"),
        ("get", "/api/v1/applications/{id}/documents/{document}"),
        ("get", "/api/v1/applications/{id}/templates/{template}"),
        ("post", "/api/v1/applications/{id}/payment"),
        ("post", "/api/v1/applications/{id}/payment/refresh"),
        ("get", "/api/v1/queue"),
        ("post", "/api/v1/applications/{id}/review"),
        ("get", "/api/v1/applications/export.csv"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
        assert!(
            op["security"].is_array(),
            "{method} {path} names its security"
        );
        assert!(op["responses"].is_object());
    }
    for schema in [
        "ApplicationView",
        "ListView",
        "PaymentView",
        "PaymentState",
        "SaveBody",
        "ReviewBody",
        "StartInput",
        "SubmitInput",
        "DocumentView",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing from the components"
        );
    }
}
