//! 消息通知 (the unread count in the header, 全部标为已读) and the admins' 邮件发件箱,
//! as pages and through /api/v1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::applications::{self, StartInput};
use domain::account::Role;
use serde_json::{Value, json};
use testkit::{Credentials, TestApp};

/// The actor a session of `who` carries, to drive the app directly where the web
/// has no page yet.
async fn actor(t: &TestApp, who: &Credentials) -> app::Actor {
    let s = app::accounts::sign_in(
        &t.app,
        &app::accounts::SignInInput {
            mobile: who.mobile.clone(),
            password: who.password.clone(),
        },
    )
    .await
    .unwrap();
    app::accounts::authenticate(&t.app, &s.token)
        .await
        .unwrap()
        .unwrap()
        .actor
}

/// One status change (草稿 → 已撤回): one notification, one e-mail. Returns the order number.
async fn status_change(t: &TestApp, who: &app::Actor) -> (String, String) {
    let id = applications::start(
        &t.app,
        who,
        &StartInput {
            kind: "new".into(),
            cert_type: "org_master".into(),
            channel: "online".into(),
            agree_terms: "yes".into(),
            ..StartInput::default()
        },
    )
    .await
    .unwrap();
    applications::withdraw(&t.app, who, id).await.unwrap();
    let order = applications::view(&t.app, who, id)
        .await
        .unwrap()
        .order_number;
    (id.to_string(), order)
}

/// The unread count in the header, or None when the header shows no badge.
fn header_count(html: &str) -> Option<u64> {
    let marker = "id=\"unread-count\"";
    let at = html.find(marker)?;
    let start = html[at..].find('>')? + at + 1;
    let end = html[start..].find('<')? + start;
    Some(html[start..end].trim().parse().unwrap())
}

#[tokio::test]
async fn the_header_counts_unread_and_mark_all_read_clears_it() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let web = t.web();
    web.sign_in(&org.admin).await;

    let page = web.visit("/dashboard").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("href=\"/notifications\""), "{}", page.html);
    assert_eq!(header_count(&page.html), None, "nothing unread yet");

    let who = actor(&t, &org.admin).await;
    let (first_id, first_order) = status_change(&t, &who).await;
    let (_, second_order) = status_change(&t, &who).await;

    let page = web.visit("/dashboard").await;
    assert_eq!(header_count(&page.html), Some(2), "{}", page.html);

    let list = web.visit("/notifications").await;
    assert_eq!(list.status, 200);
    assert_eq!(header_count(&list.html), Some(2));
    assert!(list.contains(&format!("href=\"/orders/{first_id}\"")));
    assert!(list.contains("已撤回"));
    // Newest first.
    let first_at = list.html.find(&first_order).unwrap();
    let second_at = list.html.find(&second_order).unwrap();
    assert!(second_at < first_at);
    assert!(list.contains("全部标为已读"));

    let done = web
        .submit("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let after = web.visit(done.location.as_deref().unwrap()).await;
    assert_eq!(header_count(&after.html), None, "{}", after.html);
    assert!(after.contains("已全部标为已读"));
    assert!(after.contains(&first_order), "read ones stay listed");

    // Without the form's token nothing is marked.
    status_change(&t, &who).await;
    let forged = web
        .post_with_csrf("/notifications/read", "forged", &[])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(header_count(&web.visit("/dashboard").await.html), Some(1));
}

#[tokio::test]
async fn notifications_need_a_session() {
    let t = TestApp::start().await;
    let page = t.web().get("/notifications").await;
    assert_eq!(page.location.as_deref(), Some("/signin"));
    let (status, _) = t.api().get("/api/v1/notifications").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_outbox_page_is_for_admins_only() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let who = actor(&t, &org.admin).await;
    let (_, order) = status_change(&t, &who).await;

    let admin = t.staff(Role::Admin).await;
    let web = t.web();
    web.sign_in(&admin).await;
    let page = web.visit("/dashboard").await;
    assert!(page.contains("href=\"/admin/outbox\""));
    let outbox = web.visit("/admin/outbox").await;
    assert_eq!(outbox.status, 200, "{}", outbox.html);
    assert!(outbox.contains("邮件发件箱"));
    assert!(outbox.contains(&order), "the subject names the order");
    assert!(outbox.contains("待发送"));
    assert!(outbox.contains("查看正文"));
    assert!(outbox.contains("此邮件由系统自动发送"), "the body is there");
    assert!(outbox.contains("@example.com"), "the recipient is shown");

    let sent_only = web.visit("/admin/outbox?status=sent").await;
    assert_eq!(sent_only.status, 200);
    assert!(!sent_only.contains(&order));
    assert!(sent_only.contains("没有符合条件的邮件"));
    let bad = web.visit("/admin/outbox?status=bounced").await;
    assert_eq!(bad.status, 422);

    for role in [Role::Reviewer, Role::Operator, Role::Finance] {
        let staff = t.staff(role).await;
        let web = t.web();
        web.sign_in(&staff).await;
        let page = web.visit("/admin/outbox").await;
        assert_eq!(page.status, 403, "{role:?}");
        assert!(!page.contains(&order));
        assert!(!web.visit("/dashboard").await.contains("/admin/outbox"));
    }
    let applicant = t.web();
    applicant.sign_in(&org.admin).await;
    assert_eq!(applicant.visit("/admin/outbox").await.status, 403);
}

#[tokio::test]
async fn the_api_lists_counts_and_marks_read() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let who = actor(&t, &org.admin).await;
    let (id, order) = status_change(&t, &who).await;
    let api = t.api().signed_in(&org.admin).await;

    let (status, body) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unread"], 1);
    let item = &body["items"][0];
    assert_eq!(item["application_id"], Value::String(id));
    assert_eq!(item["order_number"], Value::String(order.clone()));
    assert_eq!(item["status"], "withdrawn");
    assert_eq!(item["read"], false);

    let (status, _) = api.post("/api/v1/notifications/read", &json!({})).await;
    assert_eq!(status, 204);
    let (_, body) = api.get("/api/v1/notifications").await;
    assert_eq!(body["unread"], 0);
    assert_eq!(body["items"][0]["read"], true);

    // The outbox: admins only.
    let (status, body) = api.get("/api/v1/admin/outbox").await;
    assert_eq!(status, 403, "{body}");
    let admin = t.api().signed_in(&t.staff(Role::Admin).await).await;
    let (status, body) = admin.get("/api/v1/admin/outbox?status=pending").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["counts"]["pending"], 1);
    let mail = &body["mails"][0];
    assert!(mail["subject"].as_str().unwrap().contains(&order));
    assert!(mail["to"].as_str().unwrap().ends_with("@example.com"));
    assert_eq!(mail["status"], "pending");
    assert_eq!(mail["attempts"], 0);
    let (status, body) = admin.get("/api/v1/admin/outbox?status=bounced").await;
    assert_eq!(status, 422, "{body}");

    let (_, doc) = t.api().get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/notifications",
        "/api/v1/notifications/read",
        "/api/v1/admin/outbox",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not documented");
    }
}
