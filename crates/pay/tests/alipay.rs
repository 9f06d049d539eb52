//! The real Alipay client against the fake gateway: requests signed and checked,
//! answers signed and checked, trades, refunds and notifications end to end.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use domain::Fen;
use jiff::{SignedDuration, Timestamp};
use pay::alipay::{Alipay, Settings};
use pay::testing::alipay::{FakeAlipay, NotificationEdit};
use pay::{
    NewTrade, Notice, NoticeError, Provider, ProviderError, RefundRequest, RefundState, TradeState,
};

const NOTIFY_URL: &str = "https://certdesk.example.com/pay/notify/alipay";

fn new_trade<'a>(out_trade_no: &'a str, amount: Fen) -> NewTrade<'a> {
    NewTrade {
        out_trade_no,
        amount,
        description: "CA证书办理 CA20261121000123",
        expires_at: Timestamp::now() + SignedDuration::from_mins(30),
    }
}

fn refund<'a>(out_trade_no: &'a str, refund_no: &'a str, amount: Fen) -> RefundRequest<'a> {
    RefundRequest {
        out_trade_no,
        refund_no,
        amount,
        total: Fen(8_801),
        reason: "申请被拒绝",
    }
}

fn verify(provider: &Alipay, body: &str, now: Timestamp) -> Result<Notice, NoticeError> {
    provider.verify_notification(&http::HeaderMap::new(), body.as_bytes(), now)
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "certdesk-alipay-test-{name}-{}-{}",
            std::process::id(),
            Timestamp::now().as_nanosecond()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

fn new_key() -> KeyPair {
    KeyPair::generate(KeySize::Rsa2048).unwrap()
}

fn pkcs8_der(key: &KeyPair) -> Vec<u8> {
    AsDer::<Pkcs8V1Der>::as_der(key).unwrap().as_ref().to_vec()
}

fn spki_der(key: &KeyPair) -> Vec<u8> {
    key.public_key().as_der().unwrap().as_ref().to_vec()
}

/// One DER TLV: tag, contents, what follows.
fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
    let first = der[1] as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |l, b| (l << 8) | *b as usize);
        (len, 2 + n)
    };
    (der[0], &der[header..header + len], &der[header + len..])
}

/// The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    let (_, info, _) = tlv(pkcs8);
    let (_, _, rest) = tlv(info); // version
    let (_, _, rest) = tlv(rest); // algorithm
    let (tag, pkcs1, _) = tlv(rest);
    assert_eq!(tag, 0x04, "privateKey OCTET STRING");
    pkcs1.to_vec()
}

#[tokio::test]
async fn precreate_then_pay_then_query_gives_the_exact_amount() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    assert_eq!(alipay.name(), "alipay");
    assert_eq!(alipay.merchant(), fake.merchant());

    let qr = alipay
        .create(&new_trade("CA2026112100012301", Fen(8_801)))
        .await
        .unwrap();
    assert!(qr.starts_with("https://qr.alipay.com/"), "{qr}");
    let trade = fake.trade("CA2026112100012301").unwrap();
    assert_eq!(trade.state, "WAIT_BUYER_PAY");
    assert_eq!(trade.amount, Fen(8_801));
    assert_eq!(trade.subject, "CA证书办理 CA20261121000123");
    assert_eq!(trade.notify_url, NOTIFY_URL);
    assert!(trade.time_expire.is_some());

    assert_eq!(
        alipay.query("CA2026112100012301").await.unwrap(),
        TradeState::NotPaid
    );
    // Precreating the same trade again gives the same code, not a second trade.
    assert_eq!(
        alipay
            .create(&new_trade("CA2026112100012301", Fen(8_801)))
            .await
            .unwrap(),
        qr
    );

    fake.pay("CA2026112100012301").unwrap();
    assert_eq!(
        alipay.query("CA2026112100012301").await.unwrap(),
        TradeState::Paid {
            transaction_id: trade.trade_no.clone(),
            amount: Fen(8_801)
        }
    );
    assert!(fake.pay("CA2026112100012301").is_err(), "paid twice");
    assert_eq!(
        fake.calls(),
        [
            "alipay.trade.precreate",
            "alipay.trade.query",
            "alipay.trade.precreate",
            "alipay.trade.query"
        ]
    );

    // The same number for another amount, and a paid trade, are refused.
    match alipay
        .create(&new_trade("CA2026112100012301", Fen(100)))
        .await
    {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "ACQ.TRADE_HAS_SUCCESS"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        alipay.query("CA-NO-SUCH-TRADE").await,
        Err(ProviderError::UnknownTrade)
    ));
}

#[tokio::test]
async fn a_closed_trade_cannot_be_paid_and_closing_again_succeeds() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    alipay
        .create(&new_trade("T-CLOSE", Fen(30_000)))
        .await
        .unwrap();

    alipay.close("T-CLOSE").await.unwrap();
    assert_eq!(fake.trade("T-CLOSE").unwrap().state, "TRADE_CLOSED");
    assert_eq!(alipay.query("T-CLOSE").await.unwrap(), TradeState::Closed);
    assert!(fake.pay("T-CLOSE").is_err());
    alipay.close("T-CLOSE").await.unwrap();

    // A paid trade is not closed: Alipay refuses and the client says so.
    alipay
        .create(&new_trade("T-PAID", Fen(30_000)))
        .await
        .unwrap();
    fake.pay("T-PAID").unwrap();
    match alipay.close("T-PAID").await {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "ACQ.TRADE_STATUS_ERROR"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.trade("T-PAID").unwrap().state, "TRADE_SUCCESS");
    assert!(matches!(
        alipay.close("T-NONE").await,
        Err(ProviderError::UnknownTrade)
    ));
}

#[tokio::test]
async fn an_expired_code_cannot_be_paid() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    let mut trade = new_trade("T-EXPIRE", Fen(1_000));
    trade.expires_at = Timestamp::now() + SignedDuration::from_secs(1);
    alipay.create(&trade).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(fake.pay("T-EXPIRE").is_err());
    assert_eq!(alipay.query("T-EXPIRE").await.unwrap(), TradeState::Closed);
}

#[tokio::test]
async fn refunds_pay_once_per_request_number() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    alipay
        .create(&new_trade("T-REFUND", Fen(8_801)))
        .await
        .unwrap();

    // Nothing to refund before payment.
    match alipay.refund(&refund("T-REFUND", "R1", Fen(3_000))).await {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "ACQ.TRADE_STATUS_ERROR"),
        other => panic!("{other:?}"),
    }
    fake.pay("T-REFUND").unwrap();

    let first = alipay
        .refund(&refund("T-REFUND", "R1", Fen(3_000)))
        .await
        .unwrap();
    assert_eq!(first.state, RefundState::Succeeded);
    let again = alipay
        .refund(&refund("T-REFUND", "R1", Fen(3_000)))
        .await
        .unwrap();
    assert_eq!(again.state, RefundState::Succeeded);
    let trade = fake.trade("T-REFUND").unwrap();
    assert_eq!(trade.refunds.len(), 1, "the same out_request_no paid twice");
    assert_eq!(trade.refunds[0].refund_no, "R1");
    assert_eq!(trade.refunds[0].amount, Fen(3_000));
    assert_eq!(trade.refunds[0].reason, "申请被拒绝");
    assert_eq!(trade.state, "TRADE_SUCCESS");
    // The repeat moved no money: the client asked the refund query to be sure.
    assert_eq!(
        fake.calls()[fake.calls().len() - 2..],
        ["alipay.trade.refund", "alipay.trade.fastpay.refund.query"]
    );

    assert_eq!(
        alipay.query_refund("T-REFUND", "R1").await.unwrap().state,
        RefundState::Succeeded
    );
    assert_eq!(
        alipay
            .query_refund("T-REFUND", "R-NEVER")
            .await
            .unwrap()
            .state,
        RefundState::Processing
    );

    // The same number for another amount is not a repeat.
    match alipay.refund(&refund("T-REFUND", "R1", Fen(100))).await {
        Err(ProviderError::Rejected { code, .. }) => {
            assert_eq!(code, "ACQ.DISCORDANT_REPEAT_REQUEST")
        }
        other => panic!("{other:?}"),
    }
    // No more than was paid.
    match alipay.refund(&refund("T-REFUND", "R2", Fen(5_802))).await {
        Err(ProviderError::Rejected { code, .. }) => {
            assert_eq!(code, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
        }
        other => panic!("{other:?}"),
    }
    // The rest: the trade is then wholly refunded, which Alipay calls closed.
    let rest = alipay
        .refund(&refund("T-REFUND", "R2", Fen(5_801)))
        .await
        .unwrap();
    assert_eq!(rest.state, RefundState::Succeeded);
    assert_eq!(fake.trade("T-REFUND").unwrap().refunds.len(), 2);
    assert_eq!(alipay.query("T-REFUND").await.unwrap(), TradeState::Closed);
    assert!(matches!(
        alipay.query_refund("T-NONE", "R1").await,
        Err(ProviderError::UnknownTrade)
    ));
}

#[tokio::test]
async fn notifications_are_verified_read_and_refused_when_forged_or_stale() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    alipay
        .create(&new_trade("T-NOTE", Fen(8_801)))
        .await
        .unwrap();

    let unpaid = verify(
        &alipay,
        &fake.trade_notification("T-NOTE").body,
        Timestamp::now(),
    );
    assert!(
        matches!(
            unpaid,
            Ok(Notice::Trade {
                state: TradeState::NotPaid,
                ..
            })
        ),
        "{unpaid:?}"
    );

    fake.pay("T-NOTE").unwrap();
    let trade_no = fake.trade("T-NOTE").unwrap().trade_no;
    let valid = fake.trade_notification("T-NOTE");
    assert_eq!(
        verify(&alipay, &valid.body, Timestamp::now()).unwrap(),
        Notice::Trade {
            out_trade_no: "T-NOTE".into(),
            transaction_id: trade_no.clone(),
            state: TradeState::Paid {
                transaction_id: trade_no.clone(),
                amount: Fen(8_801)
            },
            amount: Fen(8_801),
            merchant: alipay.merchant(),
        }
    );

    assert!(matches!(
        verify(
            &alipay,
            &fake.forged_notification("T-NOTE").body,
            Timestamp::now()
        ),
        Err(NoticeError::BadSignature)
    ));
    assert!(valid.body.contains("total_amount=88.01"), "{}", valid.body);
    let tampered = valid
        .body
        .replace("total_amount=88.01", "total_amount=0.01");
    assert!(matches!(
        verify(&alipay, &tampered, Timestamp::now()),
        Err(NoticeError::BadSignature)
    ));
    let unsigned: String = valid
        .body
        .split('&')
        .filter(|p| !p.starts_with("sign="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(matches!(
        verify(&alipay, &unsigned, Timestamp::now()),
        Err(NoticeError::Malformed(_) | NoticeError::BadSignature)
    ));
    assert!(matches!(
        verify(&alipay, "", Timestamp::now()),
        Err(NoticeError::Malformed(_))
    ));

    // Validly signed but saying something else: read as it says, for the caller to
    // compare with the order and the merchant.
    let cheap = fake.notification_with(
        "T-NOTE",
        NotificationEdit {
            amount: Some(Fen(1)),
            ..NotificationEdit::default()
        },
    );
    match verify(&alipay, &cheap.body, Timestamp::now()).unwrap() {
        Notice::Trade { amount, .. } => assert_eq!(amount, Fen(1)),
        other => panic!("{other:?}"),
    }
    let other_merchant = fake.notification_with(
        "T-NOTE",
        NotificationEdit {
            seller_id: Some("2088000000000009".into()),
            ..NotificationEdit::default()
        },
    );
    match verify(&alipay, &other_merchant.body, Timestamp::now()).unwrap() {
        Notice::Trade { merchant, .. } => {
            assert_eq!(merchant, format!("{}/2088000000000009", fake.app_id()));
            assert_ne!(merchant, alipay.merchant());
        }
        other => panic!("{other:?}"),
    }

    // A replay: sent 20 minutes ago, or claiming to be sent 20 minutes from now.
    let now = Timestamp::now();
    for minutes in [-20, 20] {
        let replay = fake.notification_with(
            "T-NOTE",
            NotificationEdit {
                notify_time: Some(now + SignedDuration::from_mins(minutes)),
                ..NotificationEdit::default()
            },
        );
        assert!(matches!(
            verify(&alipay, &replay.body, now),
            Err(NoticeError::Stale)
        ));
    }
    let recent = fake.notification_with(
        "T-NOTE",
        NotificationEdit {
            notify_time: Some(now - SignedDuration::from_mins(14)),
            ..NotificationEdit::default()
        },
    );
    assert!(verify(&alipay, &recent.body, now).is_ok());
    // The same valid one, judged by a clock 20 minutes on.
    assert!(matches!(
        verify(&alipay, &valid.body, now + SignedDuration::from_mins(20)),
        Err(NoticeError::Stale)
    ));

    alipay
        .create(&new_trade("T-NOTE-CLOSED", Fen(100)))
        .await
        .unwrap();
    alipay.close("T-NOTE-CLOSED").await.unwrap();
    let closed = fake.trade_notification("T-NOTE-CLOSED");
    assert!(matches!(
        verify(&alipay, &closed.body, Timestamp::now()),
        Ok(Notice::Trade {
            state: TradeState::Closed,
            ..
        })
    ));

    let ack = alipay.acknowledge(true);
    assert_eq!(
        (ack.status, ack.content_type, ack.body.as_str()),
        (200, "text/plain", "success")
    );
    let nack = alipay.acknowledge(false);
    assert_eq!(
        (nack.status, nack.content_type, nack.body.as_str()),
        (200, "text/plain", "fail")
    );
}

/// A notify endpoint the way the app will have one: verify, then acknowledge.
#[tokio::test]
async fn pay_and_notify_reaches_the_notify_url() {
    use axum::extract::State;
    use std::sync::Arc;

    let fake = FakeAlipay::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/pay/notify/alipay",
        listener.local_addr().unwrap()
    );
    let alipay = Arc::new(fake.provider(&url));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let endpoint = {
        let seen = seen.clone();
        move |State(alipay): State<Arc<Alipay>>, body: axum::body::Bytes| async move {
            let verdict =
                alipay.verify_notification(&http::HeaderMap::new(), &body, Timestamp::now());
            let ack = alipay.acknowledge(verdict.is_ok());
            seen.lock()
                .unwrap()
                .push(verdict.map_err(|e| e.to_string()));
            (
                axum::http::StatusCode::from_u16(ack.status).unwrap(),
                [(http::header::CONTENT_TYPE, ack.content_type)],
                ack.body,
            )
        }
    };
    let router = axum::Router::new()
        .route("/pay/notify/alipay", axum::routing::post(endpoint))
        .with_state(alipay.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    alipay
        .create(&new_trade("T-SEND", Fen(12_345)))
        .await
        .unwrap();
    assert_eq!(
        fake.pay_and_notify("T-SEND").await,
        (200, "success".to_string())
    );
    assert_eq!(
        fake.send(&url, &fake.forged_notification("T-SEND")).await,
        (200, "fail".to_string())
    );
    let seen = seen.lock().unwrap();
    assert!(
        matches!(
            &seen[0],
            Ok(Notice::Trade {
                amount: Fen(12_345),
                state: TradeState::Paid { .. },
                ..
            })
        ),
        "{seen:?}"
    );
    assert!(seen[1].is_err());
}

#[tokio::test]
async fn the_gateway_refuses_a_request_signed_with_another_key() {
    let fake = FakeAlipay::start().await;
    let dir = TempDir::new("wrong-app-key");
    let settings = Settings {
        private_key_file: dir.write("other.pem", &pem("PRIVATE KEY", &pkcs8_der(&new_key()))),
        ..fake.settings()
    };
    let alipay = Alipay::from_settings(&settings, NOTIFY_URL).unwrap();
    match alipay.create(&new_trade("T-WRONG-KEY", Fen(100))).await {
        Err(ProviderError::Rejected { code, .. }) => assert_eq!(code, "isv.invalid-signature"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.calls(), ["alipay.trade.precreate"]);
    assert!(fake.trade("T-WRONG-KEY").is_none());
}

#[tokio::test]
async fn the_client_refuses_answers_whose_signature_fails() {
    let fake = FakeAlipay::start().await;
    let alipay = fake.provider(NOTIFY_URL);
    alipay
        .create(&new_trade("T-ANSWER", Fen(100)))
        .await
        .unwrap();

    fake.set_tamper_responses(true);
    assert!(matches!(
        alipay.query("T-ANSWER").await,
        Err(ProviderError::Failed(_))
    ));
    // Even an answer that claims an error is not believed unsigned.
    assert!(matches!(
        alipay.query("T-NONE").await,
        Err(ProviderError::Failed(_))
    ));
    fake.set_tamper_responses(false);
    assert_eq!(alipay.query("T-ANSWER").await.unwrap(), TradeState::NotPaid);

    // Answers checked with a key that is not Alipay's.
    let dir = TempDir::new("wrong-alipay-key");
    let settings = Settings {
        alipay_public_key_file: dir.write("alipay.pem", &pem("PUBLIC KEY", &spki_der(&new_key()))),
        ..fake.settings()
    };
    let misled = Alipay::from_settings(&settings, NOTIFY_URL).unwrap();
    assert!(matches!(
        misled.query("T-ANSWER").await,
        Err(ProviderError::Failed(_))
    ));
    // ... nor is a notification.
    let note = fake.trade_notification("T-ANSWER");
    assert!(matches!(
        verify(&misled, &note.body, Timestamp::now()),
        Err(NoticeError::BadSignature)
    ));
}

#[tokio::test]
async fn a_slow_gateway_is_a_timeout_and_a_closed_port_a_failure() {
    let fake = FakeAlipay::start().await;
    let settings = Settings {
        timeout_secs: 1,
        ..fake.settings()
    };
    let alipay = Alipay::from_settings(&settings, NOTIFY_URL).unwrap();
    fake.set_latency(Duration::from_secs(3));
    let started = Instant::now();
    assert!(matches!(
        alipay.query("T-SLOW").await,
        Err(ProviderError::Timeout)
    ));
    assert!(started.elapsed() < Duration::from_millis(2_500));

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let settings = Settings {
        gateway_url: format!("http://127.0.0.1:{port}/gateway.do"),
        ..fake.settings()
    };
    let alipay = Alipay::from_settings(&settings, NOTIFY_URL).unwrap();
    assert!(matches!(
        alipay.query("T-NOWHERE").await,
        Err(ProviderError::Failed(_))
    ));
}

#[tokio::test]
async fn keys_in_pkcs1_and_bare_base64_are_accepted() {
    let fake = FakeAlipay::start().await;
    let dir = TempDir::new("formats");
    let pkcs8 = std::fs::read_to_string(fake.settings().private_key_file).unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            pkcs8
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let alipay_pem = std::fs::read_to_string(fake.settings().alipay_public_key_file).unwrap();
    let bare_alipay: String = alipay_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let settings = Settings {
        private_key_file: dir.write("app.pem", &pem("RSA PRIVATE KEY", &pkcs1_from_pkcs8(&der))),
        alipay_public_key_file: dir.write("alipay.txt", &bare_alipay),
        ..fake.settings()
    };
    let alipay = Alipay::from_settings(&settings, NOTIFY_URL).unwrap();
    // The gateway checks the signature made with the PKCS#1 key; the answer is
    // checked with the bare key.
    alipay
        .create(&new_trade("T-PKCS1", Fen(100)))
        .await
        .unwrap();
    assert_eq!(alipay.query("T-PKCS1").await.unwrap(), TradeState::NotPaid);
}

#[tokio::test]
async fn settings_errors_name_the_setting() {
    let fake = FakeAlipay::start().await;
    let good = fake.settings();
    let dir = TempDir::new("settings");
    let garbage = dir.write(
        "garbage.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let nowhere = Path::new("/nonexistent/certdesk/key.pem").to_path_buf();
    let public_as_private = good.alipay_public_key_file.clone();

    let cases: Vec<(Settings, &str)> = vec![
        (Settings::default(), "payments.alipay.app_id"),
        (
            Settings {
                app_id: "app-one".into(),
                ..good.clone()
            },
            "payments.alipay.app_id",
        ),
        (
            Settings {
                seller_id: String::new(),
                ..good.clone()
            },
            "payments.alipay.seller_id",
        ),
        (
            Settings {
                seller_id: "1234567890123456".into(),
                ..good.clone()
            },
            "payments.alipay.seller_id",
        ),
        (
            Settings {
                private_key_file: PathBuf::new(),
                ..good.clone()
            },
            "payments.alipay.private_key_file",
        ),
        (
            Settings {
                private_key_file: nowhere.clone(),
                ..good.clone()
            },
            "payments.alipay.private_key_file",
        ),
        (
            Settings {
                private_key_file: garbage.clone(),
                ..good.clone()
            },
            "payments.alipay.private_key_file",
        ),
        (
            Settings {
                private_key_file: public_as_private,
                ..good.clone()
            },
            "payments.alipay.private_key_file",
        ),
        (
            Settings {
                alipay_public_key_file: PathBuf::new(),
                ..good.clone()
            },
            "payments.alipay.alipay_public_key_file",
        ),
        (
            Settings {
                alipay_public_key_file: nowhere,
                ..good.clone()
            },
            "payments.alipay.alipay_public_key_file",
        ),
        (
            Settings {
                alipay_public_key_file: garbage,
                ..good.clone()
            },
            "payments.alipay.alipay_public_key_file",
        ),
        (
            Settings {
                gateway_url: "ftp://openapi.alipay.com/gateway.do".into(),
                ..good.clone()
            },
            "payments.alipay.gateway_url",
        ),
        (
            Settings {
                gateway_url: "not a url".into(),
                ..good.clone()
            },
            "payments.alipay.gateway_url",
        ),
        (
            Settings {
                timeout_secs: 0,
                ..good.clone()
            },
            "payments.alipay.timeout_secs",
        ),
    ];
    for (settings, setting) in cases {
        let err = Alipay::from_settings(&settings, NOTIFY_URL).unwrap_err();
        assert_eq!(err.setting, setting, "{settings:?}: {err}");
    }
    assert!(Alipay::from_settings(&good, NOTIFY_URL).is_ok());

    // The defaults, as the config file may leave them out.
    let defaults = Settings::default();
    assert_eq!(
        defaults.gateway_url,
        "https://openapi.alipay.com/gateway.do"
    );
    assert_eq!(defaults.timeout_secs, 10);
}

#[test]
fn settings_read_from_config_fill_in_the_defaults() {
    let settings: Settings = serde_json::from_value(serde_json::json!({
        "app_id": "2021004100000000",
        "seller_id": "2088100000000000",
        "private_key_file": "/etc/certdesk/alipay_app_private_key.pem",
        "alipay_public_key_file": "/etc/certdesk/alipay_public_key.pem",
    }))
    .unwrap();
    assert_eq!(settings.app_id, "2021004100000000");
    assert_eq!(
        settings.private_key_file,
        Path::new("/etc/certdesk/alipay_app_private_key.pem")
    );
    assert_eq!(
        settings.gateway_url,
        "https://openapi.alipay.com/gateway.do"
    );
    assert_eq!(settings.timeout_secs, 10);
}
