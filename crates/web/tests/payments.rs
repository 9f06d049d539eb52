//! Paying, refunds, reconciliation and the finance desk over HTTP, on SQLite and
//! PostgreSQL. The providers are the sandbox and local fake gateways that speak WeChat
//! Pay API v3 and Alipay's open-platform protocol, with keys made in the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::Clock as _;
use domain::account::Role;
use jiff::SignedDuration;
use serde_json::{Value, json};
use testkit::{Rows, TestApp};

/// An order of a new organisation's, waiting at 待支付 (新办, pay first), with the API
/// signed in as its admin.
async fn awaiting_payment(t: &TestApp) -> (testkit::OrgFixture, String, testkit::ApiClient) {
    let org = t.register_org().await;
    let id = t
        .order_awaiting_payment(&org, "new", "org_master", "mail", 1, "")
        .await;
    let api = t.api().signed_in(&org.admin).await;
    (org, id, api)
}

async fn order(api: &testkit::ApiClient, id: &str) -> Value {
    let (status, body) = api.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_rejected_paid_order_is_refunded_and_both_the_applicant_and_finance_see_it() {
    let t = TestApp::start().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let (status, pay) = api
        .post(&format!("/api/v1/applications/{id}/payment"), &json!({}))
        .await;
    assert_eq!(status, 200, "{pay}");
    t.confirm_sandbox_payment(pay["code_url"].as_str().unwrap())
        .await;
    let amount = order(&api, &id).await["amount"].as_i64().unwrap();

    let reviewer = t.api().signed_in(&t.staff(Role::Reviewer).await).await;
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "reject", "comment": "非本单位申请"}),
        )
        .await;
    assert!(status < 300, "{status} {body}");

    let view = order(&api, &id).await;
    assert_eq!(view["payment"]["status"], "refunded");
    let refunds = view["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{view}");
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(refunds[0]["amount"].as_i64(), Some(amount));

    // The order page shows it too.
    let web = t.web();
    web.sign_in(&_org.admin).await;
    let page = web.get(&format!("/orders/{id}")).await;
    assert!(page.contains("退款成功"), "{}", page.html);

    let finance = t.api().signed_in(&t.staff(Role::Finance).await).await;
    let (status, list) = finance.get("/api/v1/finance/refunds").await;
    assert_eq!(status, 200, "{list}");
    let row = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["refund_no"].as_str() == refunds[0]["refund_no"].as_str())
        .unwrap_or_else(|| panic!("refund listed: {list}"));
    assert_eq!(row["status"], "succeeded");
    assert_eq!(list["refunded"].as_i64(), Some(amount));

    // The day's statement has the receipt and the refund, and nets to nothing.
    let (status, _) = finance.get("/api/v1/finance/statement?day=bad").await;
    assert_eq!(status, 422);
    let csv = finance_statement(&t, &finance).await;
    assert!(csv.contains("收款"), "{csv}");
    assert!(csv.contains("退款"), "{csv}");
    let last = csv.trim_end().lines().last().unwrap();
    assert!(last.starts_with("合计,"), "{csv}");
    assert!(last.ends_with(",0.00"), "{csv}");
}

async fn finance_statement(t: &TestApp, finance: &testkit::ApiClient) -> String {
    let day = t
        .clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date()
        .to_string();
    let d = finance
        .download(&format!("/api/v1/finance/statement?day={day}"))
        .await;
    assert_eq!(d.status, 200);
    String::from_utf8(d.body).unwrap()
}

#[tokio::test]
async fn finance_totals_match_the_orders_and_only_finance_sees_them() {
    let t = TestApp::start().await;
    let mut paid = 0;
    for n in 0..3 {
        let (_org, id, api) = awaiting_payment(&t).await;
        let (_, pay) = api
            .post(&format!("/api/v1/applications/{id}/payment"), &json!({}))
            .await;
        if n < 2 {
            t.confirm_sandbox_payment(pay["code_url"].as_str().unwrap())
                .await;
            paid += order(&api, &id).await["amount"].as_i64().unwrap();
        }
    }
    let finance = t.api().signed_in(&t.staff(Role::Finance).await).await;
    let (status, page) = finance.get("/api/v1/finance/payments").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["rows"].as_array().unwrap().len(), 3);
    assert_eq!(page["received"].as_i64(), Some(paid), "{page}");
    let total = |s: &str| {
        page["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["status"] == s)
            .map(|t| (t["count"].as_i64().unwrap(), t["amount"].as_i64().unwrap()))
    };
    assert_eq!(total("paid"), Some((2, paid)));
    assert_eq!(total("pending").map(|(n, _)| n), Some(1));

    let (status, page) = finance
        .get("/api/v1/finance/payments?status=paid&provider=sandbox")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let (status, body) = finance
        .get("/api/v1/finance/payments?from=2026-13-01&status=gone")
        .await;
    assert_eq!(status, 422, "{body}");

    // The page: the filter kept as typed, the message next to its field.
    let web = t.web();
    web.sign_in(&t.staff(Role::Finance).await).await;
    let page = web.get("/finance/payments?from=2026-13-01").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.input_value("from").as_deref(), Some("2026-13-01"));
    assert!(page.field_error("from").is_some(), "{}", page.html);
    let page = web.get("/finance/payments").await;
    assert!(page.contains("实收金额"), "{}", page.html);

    for role in [Role::Reviewer, Role::Operator] {
        let staff = t.api().signed_in(&t.staff(role).await).await;
        assert_eq!(staff.get("/api/v1/finance/payments").await.0, 403);
    }
    let (_org, _id, applicant) = awaiting_payment(&t).await;
    assert_eq!(applicant.get("/api/v1/finance/refunds").await.0, 403);
    assert_eq!(applicant.get("/api/v1/finance/statement").await.0, 403);
}

#[tokio::test]
async fn an_expired_code_is_closed_at_the_provider_and_the_order_gets_a_new_one() {
    let t = TestApp::start().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let path = format!("/api/v1/applications/{id}/payment");
    let (_, first) = api.post(&path, &json!({})).await;
    assert!(first["expires_at"].is_string(), "{first}");
    // Shown again while it lasts.
    let (_, again) = api.post(&path, &json!({})).await;
    assert_eq!(again["out_trade_no"], first["out_trade_no"]);

    t.clock.advance(SignedDuration::from_mins(121));
    let done = app::payments::reconcile(&t.app).await.unwrap();
    assert!(done.ran);
    assert_eq!(done.closed, 1);
    let trade = first["out_trade_no"].as_str().unwrap();
    let at_provider = app::payments::sandbox_trade(&t.app, trade).await.unwrap();
    assert_eq!(at_provider.status, "CLOSED");
    // The closed code cannot be paid any more.
    assert!(app::payments::sandbox_confirm(&t.app, trade).await.is_err());

    let (status, second) = api.post(&path, &json!({})).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["out_trade_no"], first["out_trade_no"]);
    t.confirm_sandbox_payment(second["code_url"].as_str().unwrap())
        .await;
    assert_eq!(order(&api, &id).await["paid"], true);
    assert_eq!(t.count(Rows::Payments, &id).await, 2);
}

#[tokio::test]
async fn only_one_instance_reconciles_at_a_time() {
    let t = TestApp::start().await;
    let a = t.app.clone().with_instance("instance-a");
    let b = t.app.clone().with_instance("instance-b");
    let (ra, rb) = tokio::join!(app::payments::reconcile(&a), app::payments::reconcile(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.ran != rb.ran, "exactly one ran: {ra:?} {rb:?}");
    let (holder, other) = if ra.ran { (&a, &b) } else { (&b, &a) };
    // The holder may go on; the other waits for the lease to run out.
    assert!(app::payments::reconcile(holder).await.unwrap().ran);
    assert!(!app::payments::reconcile(other).await.unwrap().ran);
    t.clock.advance(app::payments::reconcile::EVERY);
    assert!(app::payments::reconcile(other).await.unwrap().ran);
}

#[tokio::test]
async fn a_provider_this_deployment_does_not_offer_is_refused() {
    let t = TestApp::start().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let (status, body) = api
        .post(
            &format!("/api/v1/applications/{id}/payment"),
            &json!({"provider": "paypal"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "payment.unknown_provider");
    assert_eq!(t.count(Rows::Payments, &id).await, 0);
    let view = order(&api, &id).await;
    assert_eq!(view["payment_providers"], json!(["sandbox"]));
}
