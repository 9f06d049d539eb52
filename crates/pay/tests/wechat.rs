//! The real WeChat Pay client against the fake gateway: every request signed and
//! checked, every answer and notification signed and verified.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine as _;
use domain::Fen;
use jiff::{SignedDuration, Timestamp};
use pay::testing::wechat::{FakeWechat, Notification, NotificationEdit};
use pay::wechat::{Settings, WechatPay};
use pay::{
    NewTrade, Notice, NoticeError, Provider, ProviderError, RefundRequest, RefundState, TradeState,
};

/// A throwaway RSA-1024 key (aws-lc-rs will not generate one): too small for WeChat Pay.
const RSA_1024_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAKkA9Vwh5xlV3pmm
6J3QrnR4XowZs1ts5KZl8f6i+dEBVpvx3Q4khSisdhgZgazJpwee5gQVQfoQEfsA
FQrETKBETBdL94pFHPL1nqUjbZz2n3S3etxTjdsGEDXWKmOARqQy5htgvo6bW6Lf
4/N6oPhlG0DcAY9gWO5yXWbX9g1NAgMBAAECgYB9diSvvMte14xk7K+LWLvp4uHt
h7bKjFBB5zR7IGnsat3s7uR390yTIVSaF3VY3GqPEbsYFN/hz8RJXYpBb/ChZKUm
r17l6pF7hNm0r+mWyewilFLF3PTWw5cycXeOn/FUsBT64doyaj/uYHeyntiQpXZt
MWAixvwHQ5QVBOadUQJBANVF5gNvWeRcHx9OpHl4oXol6056v1QfDsYCdJiNtIjG
5dEDUaQEADUeB1QLsLQevTovwe+1rG+5jvxHt0cW0NMCQQDK3KCZuYR0aioJAmSB
Ik3pGzMSNvjx5/gsiE2qarIAEMc8ZEGbyKgYkDHH4decCg2MFGtJbKKvzX8+tlva
5dVfAkEArUgdmqzeXKx8nPNIr2lTyesFRL52teKGHlvgYBLCnF7+WtRXgOu/P2km
iyL0b2SKWrxy1lDFygD6LAAY6amgAQJADbJx4Y9GIzob1nnj4Vg4nHmqrBssGeFI
v3EAlXYYyKpZWXmHeIZG20m5Ir7b+Pwwx/mE+PMt1OLyKYDUmOYVzwJAZBl1TRp4
XIj60lHOTTazeiAJNil5N7RbYnVm3TcRxf7QRe+iVV83OFUEdOB/l2MZonkVAgf7
0332yLymdV9spA==
-----END PRIVATE KEY-----
";

const NOTIFY: &str = "https://certdesk.example/pay/notify/wechat";

fn new_trade<'a>(no: &'a str, amount: i64, expires_at: Timestamp) -> NewTrade<'a> {
    NewTrade {
        out_trade_no: no,
        amount: Fen(amount),
        description: "CA证书办理 202611210001",
        expires_at,
    }
}

fn in_two_hours() -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(2)
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn rsa_key(size: KeySize) -> RsaKeyPair {
    RsaKeyPair::generate(size).unwrap()
}

fn private_pem(key: &RsaKeyPair) -> String {
    let der: Pkcs8V1Der<'static> = key.as_der().unwrap();
    pem("PRIVATE KEY", der.as_ref())
}

fn public_pem(key: &RsaKeyPair) -> String {
    let der: PublicKeyX509Der<'static> = key.public_key().as_der().unwrap();
    pem("PUBLIC KEY", der.as_ref())
}

/// The notification endpoint as the app will have it: verify, remember, acknowledge.
struct Receiver {
    url: String,
    notices: Arc<Mutex<Vec<Result<Notice, String>>>>,
}

async fn receiver(provider: WechatPay) -> Receiver {
    let provider = Arc::new(provider);
    let notices = Arc::new(Mutex::new(Vec::new()));
    let seen = notices.clone();
    let app = axum::Router::new().route(
        "/pay/notify/wechat",
        axum::routing::post(
            move |headers: http::HeaderMap, body: axum::body::Bytes| async move {
                let verified = provider.verify_notification(&headers, &body, Timestamp::now());
                let ack = provider.acknowledge(verified.is_ok());
                seen.lock()
                    .unwrap()
                    .push(verified.map_err(|e| format!("{e:?}")));
                (
                    http::StatusCode::from_u16(ack.status).unwrap(),
                    [(http::header::CONTENT_TYPE, ack.content_type)],
                    ack.body,
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/pay/notify/wechat",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, notices }
}

#[tokio::test]
async fn a_trade_is_opened_paid_and_queried_as_paid() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    let expires = in_two_hours();

    let code_url = wechat
        .create(&new_trade("202611210001A1", 12345, expires))
        .await
        .unwrap();
    assert!(
        code_url.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{code_url}"
    );

    let trade = fake.trade("202611210001A1").unwrap();
    assert_eq!(trade.state, "NOTPAY");
    assert_eq!(trade.amount, Fen(12345));
    assert_eq!(trade.description, "CA证书办理 202611210001");
    assert_eq!(trade.notify_url, NOTIFY);
    // time_expire went over as RFC 3339 in +08:00 and means the same instant.
    assert_eq!(trade.expires_at.as_second(), expires.as_second());

    assert_eq!(
        wechat.query("202611210001A1").await.unwrap(),
        TradeState::NotPaid
    );
    fake.pay("202611210001A1").unwrap();
    let transaction_id = fake
        .trade("202611210001A1")
        .unwrap()
        .transaction_id
        .unwrap();
    assert_eq!(
        wechat.query("202611210001A1").await.unwrap(),
        TradeState::Paid {
            transaction_id,
            amount: Fen(12345)
        }
    );
    assert!(fake.pay("202611210001A1").is_err(), "paid twice");
    assert_eq!(
        fake.calls(),
        [
            "POST /v3/pay/transactions/native",
            "GET /v3/pay/transactions/out-trade-no/202611210001A1",
            "GET /v3/pay/transactions/out-trade-no/202611210001A1",
        ]
    );
}

#[tokio::test]
async fn an_unknown_trade_is_told_apart() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    assert!(matches!(
        wechat.query("nosuchtrade").await,
        Err(ProviderError::UnknownTrade)
    ));
}

#[tokio::test]
async fn a_closed_trade_cannot_be_paid() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    wechat
        .create(&new_trade("T-close", 100, in_two_hours()))
        .await
        .unwrap();
    wechat.close("T-close").await.unwrap();
    assert!(
        fake.calls()
            .contains(&"POST /v3/pay/transactions/out-trade-no/T-close/close".to_owned())
    );
    assert_eq!(wechat.query("T-close").await.unwrap(), TradeState::Closed);
    assert!(fake.pay("T-close").is_err());
    // Closing again succeeds; opening it again is refused.
    wechat.close("T-close").await.unwrap();
    match wechat
        .create(&new_trade("T-close", 100, in_two_hours()))
        .await
    {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "ORDER_CLOSED"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_paid_trade_is_not_closed() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    wechat
        .create(&new_trade("T-paid", 100, in_two_hours()))
        .await
        .unwrap();
    fake.pay("T-paid").unwrap();
    assert!(matches!(
        wechat.close("T-paid").await,
        Err(ProviderError::Rejected { .. })
    ));
    assert!(matches!(
        wechat.query("T-paid").await.unwrap(),
        TradeState::Paid { .. }
    ));
}

#[tokio::test]
async fn an_expired_code_cannot_be_paid() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    let past = Timestamp::now() - SignedDuration::from_secs(10);
    wechat.create(&new_trade("T-old", 100, past)).await.unwrap();
    assert!(fake.pay("T-old").is_err());
    assert_eq!(wechat.query("T-old").await.unwrap(), TradeState::NotPaid);
}

#[tokio::test]
async fn a_refund_is_asked_once_and_finishes() {
    let fake = FakeWechat::start().await;
    let rx = receiver(fake.provider(NOTIFY)).await;
    let wechat = fake.provider(&rx.url);
    wechat
        .create(&new_trade("T-refund", 12345, in_two_hours()))
        .await
        .unwrap();
    fake.pay("T-refund").unwrap();

    let ask = RefundRequest {
        out_trade_no: "T-refund",
        refund_no: "R-1",
        amount: Fen(5000),
        total: Fen(12345),
        reason: "申请被拒绝",
    };
    let first = wechat.refund(&ask).await.unwrap();
    assert_eq!(first.state, RefundState::Processing);
    let refund_id = first.provider_refund_id.clone().unwrap();
    // The same refund_no again is the same refund.
    let again = wechat.refund(&ask).await.unwrap();
    assert_eq!(again, first);
    let trade = fake.trade("T-refund").unwrap();
    assert_eq!(trade.refunds.len(), 1, "paid twice: {:?}", trade.refunds);
    assert_eq!(trade.refunds[0].amount, Fen(5000));
    assert_eq!(trade.refunds[0].reason, "申请被拒绝");
    assert_eq!(
        wechat.query("T-refund").await.unwrap(),
        TradeState::Refunded
    );
    assert_eq!(
        wechat.query_refund("T-refund", "R-1").await.unwrap().state,
        RefundState::Processing
    );

    let (status, body) = fake.finish_refund("R-1", true).await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(
        rx.notices.lock().unwrap().as_slice(),
        [Ok(Notice::Refund {
            out_trade_no: "T-refund".into(),
            refund_no: "R-1".into(),
            provider_refund_id: Some(refund_id.clone()),
            state: RefundState::Succeeded,
            amount: Fen(5000),
        })]
    );
    let done = wechat.query_refund("T-refund", "R-1").await.unwrap();
    assert_eq!(done.state, RefundState::Succeeded);
    assert_eq!(done.provider_refund_id, Some(refund_id));

    // More than what is left is refused; the rest can be refunded and can fail.
    let too_much = RefundRequest {
        refund_no: "R-2",
        amount: Fen(7346),
        ..ask.clone()
    };
    match wechat.refund(&too_much).await {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "NOT_ENOUGH"),
        other => panic!("{other:?}"),
    }
    let rest = RefundRequest {
        refund_no: "R-3",
        amount: Fen(7345),
        ..ask
    };
    assert_eq!(
        wechat.refund(&rest).await.unwrap().state,
        RefundState::Processing
    );
    let (status, _) = fake.finish_refund("R-3", false).await;
    assert_eq!(status, 200);
    assert!(matches!(
        rx.notices.lock().unwrap().last(),
        Some(Ok(Notice::Refund {
            state: RefundState::Abnormal,
            ..
        }))
    ));
    assert_eq!(
        wechat.query_refund("T-refund", "R-3").await.unwrap().state,
        RefundState::Abnormal
    );
    match wechat.query_refund("T-refund", "R-nope").await {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "RESOURCE_NOT_EXISTS"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unpaid_trade_is_not_refunded() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    wechat
        .create(&new_trade("T-unpaid", 100, in_two_hours()))
        .await
        .unwrap();
    let ask = RefundRequest {
        out_trade_no: "T-unpaid",
        refund_no: "R-unpaid",
        amount: Fen(100),
        total: Fen(100),
        reason: "申请被拒绝",
    };
    assert!(matches!(
        wechat.refund(&ask).await,
        Err(ProviderError::Rejected { .. })
    ));
    assert!(fake.trade("T-unpaid").unwrap().refunds.is_empty());
}

async fn paid(fake: &FakeWechat, wechat: &WechatPay, no: &str, amount: i64) {
    wechat
        .create(&new_trade(no, amount, in_two_hours()))
        .await
        .unwrap();
    fake.pay(no).unwrap();
}

#[tokio::test]
async fn a_valid_notification_is_read() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    paid(&fake, &wechat, "T-notice", 9900).await;
    let transaction_id = fake.trade("T-notice").unwrap().transaction_id.unwrap();
    let n = fake.trade_notification("T-notice");
    let notice = wechat
        .verify_notification(&n.headers, &n.body, Timestamp::now())
        .unwrap();
    assert_eq!(
        notice,
        Notice::Trade {
            out_trade_no: "T-notice".into(),
            transaction_id: transaction_id.clone(),
            state: TradeState::Paid {
                transaction_id,
                amount: Fen(9900)
            },
            amount: Fen(9900),
            merchant: wechat.merchant(),
        }
    );
    // The resource really is encrypted: the trade number is not in the clear.
    assert!(!String::from_utf8_lossy(&n.body).contains("T-notice"));
}

#[tokio::test]
async fn notifications_that_are_not_genuine_are_refused() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    paid(&fake, &wechat, "T-forged", 9900).await;
    let now = Timestamp::now();

    let forged = fake.forged_notification("T-forged");
    assert!(matches!(
        wechat.verify_notification(&forged.headers, &forged.body, now),
        Err(NoticeError::BadSignature)
    ));

    let mut unknown = fake.trade_notification("T-forged");
    unknown
        .headers
        .insert("wechatpay-serial", "PUB_KEY_ID_0000000000".parse().unwrap());
    match wechat.verify_notification(&unknown.headers, &unknown.body, now) {
        Err(NoticeError::UnknownKey(serial)) => assert_eq!(serial, "PUB_KEY_ID_0000000000"),
        other => panic!("{other:?}"),
    }

    let genuine = fake.trade_notification("T-forged");
    let mut tampered = genuine.clone();
    let text = String::from_utf8(tampered.body.clone()).unwrap();
    tampered.body = text.replace("支付成功", "支付失败").into_bytes();
    assert_ne!(tampered.body, genuine.body);
    assert!(matches!(
        wechat.verify_notification(&tampered.headers, &tampered.body, now),
        Err(NoticeError::BadSignature)
    ));

    let mut unsigned = genuine.clone();
    unsigned.headers.remove("wechatpay-signature");
    assert!(matches!(
        wechat.verify_notification(&unsigned.headers, &unsigned.body, now),
        Err(NoticeError::Malformed(_))
    ));

    // The genuine one still passes.
    assert!(
        wechat
            .verify_notification(&genuine.headers, &genuine.body, now)
            .is_ok()
    );
}

#[tokio::test]
async fn a_replayed_notification_is_stale() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    paid(&fake, &wechat, "T-stale", 9900).await;
    let then = Timestamp::now() - SignedDuration::from_mins(6);
    let old = fake.notification_with(
        "T-stale",
        NotificationEdit {
            timestamp: Some(then),
            ..Default::default()
        },
    );
    assert!(matches!(
        wechat.verify_notification(&old.headers, &old.body, Timestamp::now()),
        Err(NoticeError::Stale)
    ));
    // Four minutes after it was sent it is still fresh; six minutes before, it is not.
    let four_later = then + SignedDuration::from_mins(4);
    assert!(
        wechat
            .verify_notification(&old.headers, &old.body, four_later)
            .is_ok()
    );
    let six_before = then - SignedDuration::from_mins(6);
    assert!(matches!(
        wechat.verify_notification(&old.headers, &old.body, six_before),
        Err(NoticeError::Stale)
    ));
}

#[tokio::test]
async fn a_notification_says_what_it_says_about_amount_and_merchant() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    paid(&fake, &wechat, "T-edit", 9900).await;
    let now = Timestamp::now();
    let read = |n: Notification| {
        wechat
            .verify_notification(&n.headers, &n.body, now)
            .unwrap()
    };

    let Notice::Trade {
        amount, merchant, ..
    } = read(fake.notification_with(
        "T-edit",
        NotificationEdit {
            amount: Some(Fen(1)),
            ..Default::default()
        },
    ))
    else {
        panic!("not a trade notice")
    };
    assert_eq!((amount, merchant), (Fen(1), wechat.merchant()));

    for edit in [
        NotificationEdit {
            mchid: Some("1900000999".into()),
            ..Default::default()
        },
        NotificationEdit {
            appid: Some("wx0000000000000000".into()),
            ..Default::default()
        },
    ] {
        let Notice::Trade { merchant, .. } = read(fake.notification_with("T-edit", edit)) else {
            panic!("not a trade notice")
        };
        assert_ne!(merchant, wechat.merchant());
    }
}

#[tokio::test]
async fn the_notification_endpoint_acknowledges_as_wechat_expects() {
    let fake = FakeWechat::start().await;
    let rx = receiver(fake.provider(NOTIFY)).await;
    let wechat = fake.provider(&rx.url);
    wechat
        .create(&new_trade("T-ack", 500, in_two_hours()))
        .await
        .unwrap();
    let (status, body) = fake.pay_and_notify("T-ack").await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(matches!(
        rx.notices.lock().unwrap().first(),
        Some(Ok(Notice::Trade {
            amount: Fen(500),
            ..
        }))
    ));

    let (status, body) = fake.send(&rx.url, &fake.forged_notification("T-ack")).await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "FAIL");
}

#[tokio::test]
async fn the_gateway_refuses_a_request_signed_with_another_key() {
    let fake = FakeWechat::start().await;
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other_key.pem");
    std::fs::write(&other, private_pem(&rsa_key(KeySize::Rsa2048))).unwrap();
    let settings = Settings {
        private_key_file: other,
        ..fake.settings()
    };
    let wechat = WechatPay::from_settings(&settings, NOTIFY).unwrap();
    match wechat
        .create(&new_trade("T-sign", 100, in_two_hours()))
        .await
    {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "SIGN_ERROR"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.calls(), ["POST /v3/pay/transactions/native"]);
    assert!(fake.trade("T-sign").is_none());
}

#[tokio::test]
async fn the_client_refuses_an_answer_it_cannot_verify() {
    let fake = FakeWechat::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The right key id with the wrong key: the signature does not verify.
    let other = dir.path().join("pub_key.pem");
    std::fs::write(&other, public_pem(&rsa_key(KeySize::Rsa2048))).unwrap();
    let wrong_key = Settings {
        public_key_file: Some(other),
        ..fake.settings()
    };
    let wechat = WechatPay::from_settings(&wrong_key, NOTIFY).unwrap();
    match wechat
        .create(&new_trade("T-verify", 100, in_two_hours()))
        .await
    {
        Err(ProviderError::Failed(why)) => assert!(why.contains("signature"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The gateway did open it: only the answer was not believed.
    assert!(fake.trade("T-verify").is_some());

    // A key under another id: the answer names a key we do not know.
    let wrong_id = Settings {
        public_key_id: Some("PUB_KEY_ID_0000000000".into()),
        ..fake.settings()
    };
    let wechat = WechatPay::from_settings(&wrong_id, NOTIFY).unwrap();
    assert!(matches!(
        wechat.query("T-verify").await,
        Err(ProviderError::Failed(_))
    ));
}

#[tokio::test]
async fn a_slow_gateway_is_a_timeout_and_a_missing_one_a_failure() {
    let fake = FakeWechat::start().await;
    fake.set_latency(Duration::from_secs(3));
    let settings = Settings {
        timeout_secs: 1,
        ..fake.settings()
    };
    let wechat = WechatPay::from_settings(&settings, NOTIFY).unwrap();
    assert!(matches!(
        wechat.query("T-slow").await,
        Err(ProviderError::Timeout)
    ));

    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let settings = Settings {
        base_url: format!("http://{addr}"),
        ..fake.settings()
    };
    let wechat = WechatPay::from_settings(&settings, NOTIFY).unwrap();
    assert!(matches!(
        wechat.query("T-none").await,
        Err(ProviderError::Failed(_))
    ));
}

#[tokio::test]
async fn platform_certificates_name_their_keys_by_serial() {
    let fake = FakeWechat::start_with_platform_certificate().await;
    let settings = fake.settings();
    assert!(settings.public_key_id.is_none());
    assert_eq!(settings.platform_certificate_files.len(), 1);
    assert_eq!(fake.serial().len(), 40);
    let wechat = fake.provider(NOTIFY);
    paid(&fake, &wechat, "T-cert", 700).await;
    assert!(matches!(
        wechat.query("T-cert").await.unwrap(),
        TradeState::Paid {
            amount: Fen(700),
            ..
        }
    ));
    let n = fake.trade_notification("T-cert");
    assert!(
        wechat
            .verify_notification(&n.headers, &n.body, Timestamp::now())
            .is_ok()
    );
    let forged = fake.forged_notification("T-cert");
    assert!(matches!(
        wechat.verify_notification(&forged.headers, &forged.body, Timestamp::now()),
        Err(NoticeError::BadSignature)
    ));
}

#[tokio::test]
async fn acknowledgements() {
    let fake = FakeWechat::start().await;
    let wechat = fake.provider(NOTIFY);
    let yes = wechat.acknowledge(true);
    assert_eq!((yes.status, yes.body.as_str()), (200, ""));
    let no = wechat.acknowledge(false);
    assert_eq!(no.status, 400);
    let body: serde_json::Value = serde_json::from_str(&no.body).unwrap();
    assert_eq!(body, serde_json::json!({"code": "FAIL", "message": "失败"}));
    assert_eq!(wechat.name(), "wechat");
    assert_eq!(wechat.merchant(), "1900000109/wxd678efh567hg6787");
}

fn setting_error(settings: &Settings) -> (String, String) {
    let e = WechatPay::from_settings(settings, NOTIFY).unwrap_err();
    (e.setting, e.reason)
}

#[tokio::test]
async fn bad_settings_name_the_setting() {
    let fake = FakeWechat::start().await;
    let good = fake.settings();
    assert!(WechatPay::from_settings(&good, NOTIFY).is_ok());
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };

    let missing_file = Settings {
        private_key_file: dir.path().join("nowhere.pem"),
        ..good.clone()
    };
    assert_eq!(
        setting_error(&missing_file).0,
        "payments.wechat.private_key_file"
    );

    let not_pem = Settings {
        private_key_file: file("junk.pem", "not a key"),
        ..good.clone()
    };
    assert_eq!(
        setting_error(&not_pem).0,
        "payments.wechat.private_key_file"
    );

    let small = Settings {
        private_key_file: file("small.pem", RSA_1024_PKCS8),
        ..good.clone()
    };
    let (setting, reason) = setting_error(&small);
    assert_eq!(setting, "payments.wechat.private_key_file");
    assert!(reason.contains("1024"), "{reason}");

    let short_key = Settings {
        api_v3_key_file: Some(file("short.key", "0123456789abcdef0123456789abcde\n")),
        ..good.clone()
    };
    let (setting, reason) = setting_error(&short_key);
    assert_eq!(setting, "payments.wechat.api_v3_key_file");
    assert!(!reason.contains("0123456789"), "the key leaks: {reason}");

    let both = Settings {
        api_v3_key_env: Some("CERTDESK_TEST_WECHAT_KEY".into()),
        ..good.clone()
    };
    assert_eq!(setting_error(&both).0, "payments.wechat.api_v3_key_file");

    let neither = Settings {
        api_v3_key_file: None,
        ..good.clone()
    };
    assert_eq!(setting_error(&neither).0, "payments.wechat.api_v3_key_file");

    let unset_env = Settings {
        api_v3_key_file: None,
        api_v3_key_env: Some("CERTDESK_TEST_WECHAT_KEY_NOT_SET".into()),
        ..good.clone()
    };
    let (setting, reason) = setting_error(&unset_env);
    assert_eq!(setting, "payments.wechat.api_v3_key_env");
    assert!(
        reason.contains("CERTDESK_TEST_WECHAT_KEY_NOT_SET"),
        "{reason}"
    );

    let no_verification_key = Settings {
        public_key_id: None,
        public_key_file: None,
        platform_certificate_files: Vec::new(),
        ..good.clone()
    };
    let (setting, reason) = setting_error(&no_verification_key);
    assert_eq!(setting, "payments.wechat.public_key_file");
    assert!(reason.contains("platform_certificate_files"), "{reason}");

    let id_without_file = Settings {
        public_key_file: None,
        ..good.clone()
    };
    assert_eq!(
        setting_error(&id_without_file).0,
        "payments.wechat.public_key_file"
    );

    let not_a_certificate = Settings {
        platform_certificate_files: vec![file("cert.pem", &public_pem(&rsa_key(KeySize::Rsa2048)))],
        ..good.clone()
    };
    assert_eq!(
        setting_error(&not_a_certificate).0,
        "payments.wechat.platform_certificate_files"
    );

    let no_mchid = Settings {
        mchid: String::new(),
        ..good.clone()
    };
    assert_eq!(setting_error(&no_mchid).0, "payments.wechat.mchid");

    let no_serial = Settings {
        merchant_serial_no: " ".into(),
        ..good.clone()
    };
    assert_eq!(
        setting_error(&no_serial).0,
        "payments.wechat.merchant_serial_no"
    );

    let bad_url = Settings {
        base_url: "api.mch.weixin.qq.com".into(),
        ..good
    };
    assert_eq!(setting_error(&bad_url).0, "payments.wechat.base_url");
}

#[test]
fn settings_read_as_written_and_refuse_a_key_in_the_config() {
    let s: Settings = serde_json::from_value(serde_json::json!({
        "mchid": "1900000109",
        "appid": "wxd678efh567hg6787",
        "merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key_file": "/etc/certdesk/apiclient_key.pem",
        "api_v3_key_env": "CERTDESK_WECHAT_API_V3_KEY",
        "public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
        "public_key_file": "/etc/certdesk/pub_key.pem",
    }))
    .unwrap();
    assert_eq!(s.base_url, "https://api.mch.weixin.qq.com");
    assert_eq!(s.timeout_secs, 10);
    assert!(s.platform_certificate_files.is_empty());

    let key_inline = serde_json::from_value::<Settings>(serde_json::json!({
        "mchid": "1900000109",
        "api_v3_key": "0123456789abcdef0123456789abcdef",
    }));
    assert!(key_inline.is_err());
}
