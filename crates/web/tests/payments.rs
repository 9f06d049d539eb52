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

// ---------------------------------------------------------------------------------------
// WeChat Pay and Alipay, through fake gateways that speak their published protocols.

use std::sync::Arc;

use app::payments::Provider;
use domain::Fen;
use pay::testing::alipay::FakeAlipay;
use pay::testing::wechat::FakeWechat;

/// certdesk offering WeChat Pay and Alipay, each at its fake gateway.
async fn with_gateways() -> (TestApp, FakeWechat, FakeAlipay) {
    let wechat = FakeWechat::start().await;
    let alipay = FakeAlipay::start().await;
    let (w, a) = (wechat.clone(), alipay.clone());
    let t = TestApp::start_with_payments(move |url| {
        // A short timeout, so that a gateway that does not answer is found out quickly.
        let settings = pay::wechat::Settings {
            timeout_secs: 2,
            ..w.settings()
        };
        let wechat =
            pay::wechat::WechatPay::from_settings(&settings, &format!("{url}/pay/notify/wechat"))
                .unwrap();
        vec![
            Arc::new(wechat) as Arc<dyn Provider>,
            Arc::new(a.provider(&format!("{url}/pay/notify/alipay"))),
        ]
    })
    .await;
    (t, wechat, alipay)
}

async fn open_code(api: &testkit::ApiClient, id: &str, provider: &str) -> Value {
    let (status, code) = api
        .post(
            &format!("/api/v1/applications/{id}/payment"),
            &json!({ "provider": provider }),
        )
        .await;
    assert_eq!(status, 200, "{code}");
    assert_eq!(code["provider"], provider);
    code
}

/// How many times the order's 流程审批记录 says it was paid.
fn paid_entries(view: &Value) -> usize {
    view["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["transition"] == "paid")
        .count()
}

async fn alerts(t: &TestApp) -> Vec<Value> {
    let finance = t.api().signed_in(&t.staff(Role::Finance).await).await;
    let (status, list) = finance.get("/api/v1/finance/alerts").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_wechat_payment_is_recorded_once_however_often_it_is_notified_and_whatever_it_races() {
    let (t, wechat, _) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let view = order(&api, &id).await;
    assert_eq!(view["payment_providers"], json!(["wechat", "alipay"]));
    let code = open_code(&api, &id, "wechat").await;
    let trade = code["out_trade_no"].as_str().unwrap();
    let at_gateway = wechat.trade(trade).unwrap();
    assert_eq!(at_gateway.amount, Fen(view["amount"].as_i64().unwrap()));
    assert_eq!(at_gateway.state, "NOTPAY");

    wechat.pay(trade).unwrap();
    let n = wechat.trade_notification(trade);
    let url = format!("{}/pay/notify/wechat", t.url);
    // The notification, the 支付结果查询 button and the same notification again, at once.
    let refresh = format!("/api/v1/applications/{id}/payment/refresh");
    let nothing = json!({});
    let (first, button, again) = tokio::join!(
        wechat.send(&url, &n),
        api.post(&refresh, &nothing),
        wechat.send(&url, &n)
    );
    assert_eq!(first.0, 200, "{first:?}");
    assert_eq!(again.0, 200, "{again:?}");
    assert_eq!(button.0, 200, "{button:?}");
    let view = order(&api, &id).await;
    assert_eq!(view["paid"], true, "{view}");
    assert_eq!(paid_entries(&view), 1, "{view}");
    assert_eq!(t.count(Rows::Payments, &id).await, 1);
    // And once more, later: still one.
    assert_eq!(wechat.send(&url, &n).await.0, 200);
    assert_eq!(paid_entries(&order(&api, &id).await), 1);
    assert!(alerts(&t).await.is_empty());
}

#[tokio::test]
async fn forged_replayed_and_mismatched_wechat_notifications_are_refused_and_flagged() {
    let (t, wechat, _) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let code = open_code(&api, &id, "wechat").await;
    let trade = code["out_trade_no"].as_str().unwrap();
    let amount = Fen(code["amount"].as_i64().unwrap());
    let url = format!("{}/pay/notify/wechat", t.url);
    wechat.pay(trade).unwrap();

    let forged = wechat.send(&url, &wechat.forged_notification(trade)).await;
    assert!(forged.0 >= 400, "{forged:?}");
    let old = pay::testing::wechat::NotificationEdit {
        timestamp: Some(jiff::Timestamp::now() - SignedDuration::from_mins(10)),
        ..Default::default()
    };
    let replayed = wechat
        .send(&url, &wechat.notification_with(trade, old))
        .await;
    assert!(replayed.0 >= 400, "{replayed:?}");
    assert!(
        alerts(&t).await.is_empty(),
        "forgeries are not finance's business"
    );

    let cheaper = pay::testing::wechat::NotificationEdit {
        amount: Some(Fen(amount.0 - 1)),
        ..Default::default()
    };
    let refused = wechat
        .send(&url, &wechat.notification_with(trade, cheaper))
        .await;
    assert!(refused.0 >= 400, "{refused:?}");
    let elsewhere = pay::testing::wechat::NotificationEdit {
        mchid: Some("1900009999".into()),
        ..Default::default()
    };
    let refused = wechat
        .send(&url, &wechat.notification_with(trade, elsewhere))
        .await;
    assert!(refused.0 >= 400, "{refused:?}");
    assert_eq!(order(&api, &id).await["paid"], false);
    let kinds: Vec<String> = alerts(&t)
        .await
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"amount_mismatch".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"merchant_mismatch".to_owned()), "{kinds:?}");

    // Finance marks one looked into; a note is required.
    let finance = t.api().signed_in(&t.staff(Role::Finance).await).await;
    let first = alerts(&t).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/finance/alerts/{first}/resolve");
    assert_eq!(finance.post(&path, &json!({"note": " "})).await.0, 422);
    assert_eq!(
        finance
            .post(&path, &json!({"note": "已与微信支付核对"}))
            .await
            .0,
        204
    );
    assert_eq!(finance.post(&path, &json!({"note": "again"})).await.0, 409);

    // The genuine one still counts.
    assert_eq!(
        wechat.send(&url, &wechat.trade_notification(trade)).await.0,
        200
    );
    assert_eq!(order(&api, &id).await["paid"], true);
}

#[tokio::test]
async fn an_alipay_payment_is_recorded_once_and_forgeries_replays_and_mismatches_are_refused() {
    let (t, _, alipay) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let code = open_code(&api, &id, "alipay").await;
    let trade = code["out_trade_no"].as_str().unwrap();
    let amount = Fen(code["amount"].as_i64().unwrap());
    assert_eq!(alipay.trade(trade).unwrap().amount, amount);
    let url = format!("{}/pay/notify/alipay", t.url);
    alipay.pay(trade).unwrap();

    let forged = alipay.send(&url, &alipay.forged_notification(trade)).await;
    assert_eq!(forged.1.trim(), "fail", "{forged:?}");
    let old = pay::testing::alipay::NotificationEdit {
        notify_time: Some(jiff::Timestamp::now() - SignedDuration::from_hours(1)),
        ..Default::default()
    };
    let replayed = alipay
        .send(&url, &alipay.notification_with(trade, old))
        .await;
    assert_eq!(replayed.1.trim(), "fail", "{replayed:?}");
    let dearer = pay::testing::alipay::NotificationEdit {
        amount: Some(Fen(amount.0 + 100)),
        ..Default::default()
    };
    let refused = alipay
        .send(&url, &alipay.notification_with(trade, dearer))
        .await;
    assert_eq!(refused.1.trim(), "fail", "{refused:?}");
    let elsewhere = pay::testing::alipay::NotificationEdit {
        seller_id: Some("2088000000009999".into()),
        ..Default::default()
    };
    let refused = alipay
        .send(&url, &alipay.notification_with(trade, elsewhere))
        .await;
    assert_eq!(refused.1.trim(), "fail", "{refused:?}");
    assert_eq!(order(&api, &id).await["paid"], false);
    assert_eq!(alerts(&t).await.len(), 2);

    let n = alipay.trade_notification(trade);
    let (a, b) = tokio::join!(alipay.send(&url, &n), alipay.send(&url, &n));
    assert_eq!((a.1.trim(), b.1.trim()), ("success", "success"));
    let view = order(&api, &id).await;
    assert_eq!(view["paid"], true);
    assert_eq!(paid_entries(&view), 1);
}

#[tokio::test]
async fn a_lost_notification_still_ends_paid_through_reconciliation() {
    let (t, wechat, alipay) = with_gateways().await;
    let (_o1, id1, api1) = awaiting_payment(&t).await;
    let (_o2, id2, api2) = awaiting_payment(&t).await;
    let w = open_code(&api1, &id1, "wechat").await;
    let a = open_code(&api2, &id2, "alipay").await;
    wechat.pay(w["out_trade_no"].as_str().unwrap()).unwrap();
    alipay.pay(a["out_trade_no"].as_str().unwrap()).unwrap();
    // Nothing notified; a minute later the job asks.
    t.clock.advance(SignedDuration::from_secs(90));
    let done = app::payments::reconcile(&t.app).await.unwrap();
    assert_eq!((done.ran, done.paid), (true, 2), "{done:?}");
    assert_eq!(order(&api1, &id1).await["paid"], true);
    assert_eq!(order(&api2, &id2).await["paid"], true);
}

#[tokio::test]
async fn an_expired_wechat_code_is_closed_at_the_gateway_and_a_new_one_is_paid() {
    let (t, wechat, _) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let first = open_code(&api, &id, "wechat").await;
    let trade = first["out_trade_no"].as_str().unwrap();
    t.clock.advance(SignedDuration::from_mins(121));
    let done = app::payments::reconcile(&t.app).await.unwrap();
    assert_eq!(done.closed, 1, "{done:?}");
    assert_eq!(wechat.trade(trade).unwrap().state, "CLOSED");
    assert!(wechat.pay(trade).is_err(), "a closed code cannot be paid");
    assert!(wechat.calls().iter().any(|c| c.contains("/close")));

    let second = open_code(&api, &id, "wechat").await;
    let trade2 = second["out_trade_no"].as_str().unwrap();
    assert_ne!(trade2, trade);
    wechat.pay(trade2).unwrap();
    let (status, state) = api
        .post(
            &format!("/api/v1/applications/{id}/payment/refresh"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(order(&api, &id).await["paid"], true);
}

#[tokio::test]
async fn switching_provider_closes_the_open_code_at_the_first() {
    let (t, wechat, alipay) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    let w = open_code(&api, &id, "wechat").await;
    let a = open_code(&api, &id, "alipay").await;
    assert_ne!(w["out_trade_no"], a["out_trade_no"]);
    assert_eq!(
        wechat
            .trade(w["out_trade_no"].as_str().unwrap())
            .unwrap()
            .state,
        "CLOSED"
    );
    let (status, body) = alipay
        .pay_and_notify(a["out_trade_no"].as_str().unwrap())
        .await;
    assert_eq!((status, body.trim()), (200, "success"));
    assert_eq!(order(&api, &id).await["paid"], true);
}

#[tokio::test]
async fn a_gateway_that_does_not_answer_leaves_the_order_payable() {
    let (t, wechat, _) = with_gateways().await;
    let (_org, id, api) = awaiting_payment(&t).await;
    wechat.set_latency(std::time::Duration::from_secs(30));
    let (status, body) = api
        .post(
            &format!("/api/v1/applications/{id}/payment"),
            &json!({"provider": "wechat"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["key"], "payment.provider_timeout");
    assert!(body["error"]["message"].as_str().unwrap().contains("重试"));
    let view = order(&api, &id).await;
    assert_eq!(view["status"], "awaiting_payment");
    assert!(view["actions"].as_array().unwrap().contains(&json!("pay")));

    wechat.set_latency(std::time::Duration::ZERO);
    let code = open_code(&api, &id, "wechat").await;
    let (status, _) = wechat
        .pay_and_notify(code["out_trade_no"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
    assert_eq!(order(&api, &id).await["paid"], true);
}

#[tokio::test]
async fn rejecting_a_wechat_order_refunds_it_and_the_refund_is_followed_to_its_end() {
    let (t, wechat, _) = with_gateways().await;
    let (org, id, api) = awaiting_payment(&t).await;
    let code = open_code(&api, &id, "wechat").await;
    let trade = code["out_trade_no"].as_str().unwrap();
    assert_eq!(wechat.pay_and_notify(trade).await.0, 200);

    let reviewer = t.api().signed_in(&t.staff(Role::Reviewer).await).await;
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/applications/{id}/review"),
            &json!({"decision": "reject", "comment": "材料不符"}),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    let view = order(&api, &id).await;
    let refund = &view["refunds"][0];
    assert_eq!(refund["status"], "processing", "{view}");
    assert_eq!(view["payment"]["status"], "paid");
    let at_gateway = wechat.trade(trade).unwrap();
    assert_eq!(at_gateway.refunds.len(), 1);

    // WeChat pays it out and says so.
    let refund_no = refund["refund_no"].as_str().unwrap();
    assert_eq!(wechat.finish_refund(refund_no, true).await.0, 200);
    let view = order(&api, &id).await;
    assert_eq!(view["refunds"][0]["status"], "succeeded");
    assert_eq!(view["payment"]["status"], "refunded");
    let web = t.web();
    web.sign_in(&org.admin).await;
    assert!(web.get(&format!("/orders/{id}")).await.contains("退款成功"));
    // Reconciliation asks no more about it, and nothing is refunded twice.
    t.clock.advance(SignedDuration::from_mins(5));
    app::payments::reconcile(&t.app).await.unwrap();
    assert_eq!(wechat.trade(trade).unwrap().refunds.len(), 1);
}

#[tokio::test]
async fn the_payer_chooses_wechat_pay_or_alipay_on_the_order_page() {
    let (t, wechat, alipay) = with_gateways().await;
    let (org, id, api) = awaiting_payment(&t).await;
    let web = t.web();
    web.sign_in(&org.admin).await;
    let order_page = format!("/orders/{id}");
    let page = web.get(&order_page).await;
    assert!(page.contains("id=\"pay-wechat\""), "{}", page.html);
    assert!(page.contains("id=\"pay-alipay\""), "{}", page.html);

    let done = web
        .submit(
            &order_page,
            &format!("/orders/{id}/pay"),
            &[("provider", "alipay")],
        )
        .await;
    assert!(done.location.is_some(), "{}", done.html);
    let page = web.visit(&order_page).await;
    assert!(page.contains("id=\"qr\""), "{}", page.html);
    assert!(page.contains("支付宝"), "{}", page.html);
    let trade = order(&api, &id).await["payment"]["out_trade_no"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(alipay.trade(&trade).is_some());
    assert!(wechat.trade(&trade).is_none());

    // An unknown choice is named on the page; nothing is opened for it.
    let refused = web
        .submit(
            &order_page,
            &format!("/orders/{id}/pay"),
            &[("provider", "paypal")],
        )
        .await;
    assert!(refused.contains("不支持该支付方式"), "{}", refused.html);
    assert_eq!(t.count(Rows::Payments, &id).await, 1);
}
