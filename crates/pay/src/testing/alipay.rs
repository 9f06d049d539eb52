//! A fake Alipay open-platform gateway: a local HTTP server at `/gateway.do` that
//! speaks the published protocol (当面付 in public-key mode, RSA2) with keys made at
//! start, so the real [`Alipay`] client is exercised end to end.
//!
//! It checks every request's signature with the app's public key (and answers
//! `isv.invalid-signature` as Alipay does), signs every answer with "Alipay's" key over
//! the exact text it sends (writing `/` as `\/`, as Alipay does), keeps trades in
//! memory, refuses to pay a closed or expired trade, and dedupes refunds by
//! `out_request_no`. It also writes the signed notifications Alipay would send,
//! honest or forged, for the tests to deliver.
//!
//! One behaviour of the real gateway is simplified: a precreated trade is known at
//! once (Alipay knows it only after the code is scanned).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use axum::Router;
use axum::routing::post;
use domain::Fen;
use jiff::Timestamp;

mod gateway;

use crate::alipay::{Alipay, Settings, SigningKey, VerifyingKey, china_time, sign_content, to_pem};

const APP_ID: &str = "2021000100200300";
const SELLER_ID: &str = "2088102100200300";
/// The payer every fake trade is paid by (an Alipay user id, not a person).
const BUYER_ID: &str = "2088102177846880";

/// A trade as the fake gateway keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeTrade {
    pub out_trade_no: String,
    /// Alipay's number for it (`trade_no`).
    pub trade_no: String,
    /// `WAIT_BUYER_PAY`, `TRADE_SUCCESS` or `TRADE_CLOSED`.
    pub state: String,
    pub amount: Fen,
    pub subject: String,
    /// As the precreate request gave it.
    pub notify_url: String,
    pub time_expire: Option<Timestamp>,
    pub refunds: Vec<FakeRefund>,
}

impl FakeTrade {
    fn refunded(&self) -> Fen {
        Fen(self.refunds.iter().map(|r| r.amount.0).sum())
    }
}

/// A refund paid out by the fake gateway: each `out_request_no` once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRefund {
    pub refund_no: String,
    pub amount: Fen,
    pub reason: String,
}

/// A notification as Alipay POSTs it: `application/x-www-form-urlencoded`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormNotification {
    pub body: String,
}

impl FormNotification {
    pub const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded; charset=utf-8";
}

/// What to change in an otherwise honest notification (it is still validly signed).
#[derive(Clone, Debug, Default)]
pub struct NotificationEdit {
    pub amount: Option<Fen>,
    pub app_id: Option<String>,
    pub seller_id: Option<String>,
    pub notify_time: Option<Timestamp>,
}

/// A cheap handle on a running fake gateway; the server and its key files live as
/// long as any handle.
#[derive(Clone)]
pub struct FakeAlipay {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    dir: PathBuf,
    server: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Shared {
    /// The app's public key, as uploaded to the open platform (应用公钥).
    app_public: VerifyingKey,
    /// Alipay's private key: signs answers and notifications.
    alipay: SigningKey,
    /// Somebody else's key, for forged notifications.
    forger: SigningKey,
    state: Mutex<Books>,
}

#[derive(Default)]
struct Books {
    trades: BTreeMap<String, FakeTrade>,
    calls: Vec<String>,
    latency: Duration,
    tamper: bool,
    serial: u64,
}

impl Shared {
    fn books(&self) -> MutexGuard<'_, Books> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FakeAlipay {
    /// Makes the keys, writes the key files and starts the server on 127.0.0.1.
    pub async fn start() -> FakeAlipay {
        let keys = tokio::task::spawn_blocking(|| {
            [(); 3].map(|_| KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"))
        })
        .await
        .expect("key generation task");
        let [app, alipay, forger] = keys;

        static DIRS: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "certdesk-fake-alipay-{}-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed),
            Timestamp::now().as_nanosecond()
        ));
        std::fs::create_dir_all(&dir).expect("fake alipay key directory");
        let app_pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&app).expect("PKCS#8");
        std::fs::write(
            dir.join("app_private_key.pem"),
            to_pem("PRIVATE KEY", app_pkcs8.as_ref()),
        )
        .expect("write app key");
        let alipay_spki = alipay.public_key().as_der().expect("SPKI");
        std::fs::write(
            dir.join("alipay_public_key.pem"),
            to_pem("PUBLIC KEY", alipay_spki.as_ref()),
        )
        .expect("write alipay public key");
        let app_spki = app.public_key().as_der().expect("SPKI");

        let shared = Arc::new(Shared {
            app_public: VerifyingKey::from_der(app_spki.as_ref()).expect("app public key"),
            alipay: SigningKey::new(alipay),
            forger: SigningKey::new(forger),
            state: Mutex::new(Books::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake alipay gateway");
        let addr = listener.local_addr().expect("local address");
        let router = Router::new()
            .route("/gateway.do", post(gateway::gateway))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeAlipay {
            inner: Arc::new(Inner {
                shared,
                addr,
                dir,
                server,
                http: reqwest::Client::new(),
            }),
        }
    }

    pub fn app_id(&self) -> &'static str {
        APP_ID
    }

    pub fn seller_id(&self) -> &'static str {
        SELLER_ID
    }

    /// `{app_id}/{seller_id}`, as [`crate::Provider::merchant`] gives it.
    pub fn merchant(&self) -> String {
        format!("{APP_ID}/{SELLER_ID}")
    }

    pub fn gateway_url(&self) -> String {
        format!("http://{}/gateway.do", self.inner.addr)
    }

    /// Settings for a client of this gateway, the key files in a directory that lives
    /// as long as the fake.
    pub fn settings(&self) -> Settings {
        Settings {
            app_id: APP_ID.to_string(),
            seller_id: SELLER_ID.to_string(),
            private_key_file: self.inner.dir.join("app_private_key.pem"),
            alipay_public_key_file: self.inner.dir.join("alipay_public_key.pem"),
            gateway_url: self.gateway_url(),
            timeout_secs: 10,
        }
    }

    pub fn provider(&self, notify_url: &str) -> Alipay {
        Alipay::from_settings(&self.settings(), notify_url).expect("the fake's settings are good")
    }

    pub fn trade(&self, out_trade_no: &str) -> Option<FakeTrade> {
        let mut books = self.inner.shared.books();
        let trade = books.trades.get_mut(out_trade_no)?;
        expire(trade, Timestamp::now());
        Some(trade.clone())
    }

    /// The payer scans and pays. Refused when the trade is unknown, closed, expired
    /// or paid already.
    pub fn pay(&self, out_trade_no: &str) -> Result<(), String> {
        let mut books = self.inner.shared.books();
        let trade = books
            .trades
            .get_mut(out_trade_no)
            .ok_or_else(|| format!("no trade {out_trade_no}"))?;
        expire(trade, Timestamp::now());
        match trade.state.as_str() {
            "WAIT_BUYER_PAY" => {
                trade.state = "TRADE_SUCCESS".into();
                Ok(())
            }
            "TRADE_CLOSED" => Err(format!("trade {out_trade_no} is closed")),
            other => Err(format!("trade {out_trade_no} is {other}")),
        }
    }

    /// The notification Alipay sends for the trade as it stands, validly signed.
    /// Panics if the fake knows no such trade.
    pub fn trade_notification(&self, out_trade_no: &str) -> FormNotification {
        self.notification_with(out_trade_no, NotificationEdit::default())
    }

    /// A validly signed notification for the trade with some fields changed.
    pub fn notification_with(
        &self,
        out_trade_no: &str,
        edit: NotificationEdit,
    ) -> FormNotification {
        let params = self.notification_params(out_trade_no, &edit);
        sign_notification(&self.inner.shared.alipay, params)
    }

    /// An honest-looking notification signed with a key that is not Alipay's.
    pub fn forged_notification(&self, out_trade_no: &str) -> FormNotification {
        let params = self.notification_params(out_trade_no, &NotificationEdit::default());
        sign_notification(&self.inner.shared.forger, params)
    }

    /// POSTs a notification as Alipay does; returns our answer's status and body, or
    /// status 0 and the error when nothing answered.
    pub async fn send(&self, url: &str, notification: &FormNotification) -> (u16, String) {
        let sent = self
            .inner
            .http
            .post(url)
            .header(http::header::CONTENT_TYPE, FormNotification::CONTENT_TYPE)
            .body(notification.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        }
    }

    /// The payer pays, then Alipay notifies the trade's `notify_url`. Panics if the
    /// payment is refused.
    pub async fn pay_and_notify(&self, out_trade_no: &str) -> (u16, String) {
        if let Err(e) = self.pay(out_trade_no) {
            panic!("the fake payer could not pay: {e}");
        }
        let trade = self.trade(out_trade_no).expect("the trade just paid");
        let notification = self.trade_notification(out_trade_no);
        self.send(&trade.notify_url, &notification).await
    }

    /// Every answer waits this long first (to make the client time out).
    pub fn set_latency(&self, latency: Duration) {
        self.inner.shared.books().latency = latency;
    }

    /// When on, every answer is changed after it is signed (its signature then fails).
    pub fn set_tamper_responses(&self, on: bool) {
        self.inner.shared.books().tamper = on;
    }

    /// The `method` of every request seen, in order (refused ones too).
    pub fn calls(&self) -> Vec<String> {
        self.inner.shared.books().calls.clone()
    }

    fn notification_params(
        &self,
        out_trade_no: &str,
        edit: &NotificationEdit,
    ) -> Vec<(String, String)> {
        let trade = self
            .trade(out_trade_no)
            .unwrap_or_else(|| panic!("the fake alipay has no trade {out_trade_no}"));
        let amount = edit.amount.unwrap_or(trade.amount);
        let now = Timestamp::now();
        let mut params = vec![
            ("notify_time", china_time(edit.notify_time.unwrap_or(now))),
            ("notify_type", "trade_status_sync".to_string()),
            ("notify_id", format!("2026fake{}", self.next_serial())),
            ("charset", "utf-8".to_string()),
            ("version", "1.0".to_string()),
            ("auth_app_id", APP_ID.to_string()),
            (
                "app_id",
                edit.app_id.clone().unwrap_or_else(|| APP_ID.to_string()),
            ),
            (
                "seller_id",
                edit.seller_id
                    .clone()
                    .unwrap_or_else(|| SELLER_ID.to_string()),
            ),
            ("buyer_id", BUYER_ID.to_string()),
            ("trade_no", trade.trade_no.clone()),
            ("out_trade_no", trade.out_trade_no.clone()),
            ("trade_status", trade.state.clone()),
            ("total_amount", amount.yuan_string()),
            ("subject", trade.subject.clone()),
            ("gmt_create", china_time(now)),
        ];
        if trade.state != "WAIT_BUYER_PAY" {
            params.push(("receipt_amount", amount.yuan_string()));
            params.push(("buyer_pay_amount", amount.yuan_string()));
            params.push(("gmt_payment", china_time(now)));
        }
        if !trade.refunds.is_empty() {
            params.push(("refund_fee", trade.refunded().yuan_string()));
        }
        params
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    fn next_serial(&self) -> u64 {
        let mut books = self.inner.shared.books();
        books.serial += 1;
        books.serial
    }
}

fn sign_notification(key: &SigningKey, mut params: Vec<(String, String)>) -> FormNotification {
    let content = sign_content(
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["sign", "sign_type"],
    );
    let sign = key.sign(&content).expect("sign the notification");
    params.push(("sign_type".into(), "RSA2".into()));
    params.push(("sign".into(), sign));
    FormNotification {
        body: form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish(),
    }
}

/// Alipay closes an unpaid trade when its time runs out.
fn expire(trade: &mut FakeTrade, now: Timestamp) {
    if trade.state == "WAIT_BUYER_PAY" && trade.time_expire.is_some_and(|t| t <= now) {
        trade.state = "TRADE_CLOSED".into();
    }
}
