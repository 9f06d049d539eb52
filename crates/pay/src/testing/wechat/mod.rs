//! A fake WeChat Pay API v3 gateway: a local HTTP server that speaks the published
//! protocol with keys generated at start. It checks each request's signature with
//! the merchant's public key (401 SIGN_ERROR otherwise), signs every answer with its
//! platform key, keeps trades in memory, and sends signed, encrypted notifications.
//!
//! Its crypto is written apart from the client's on purpose, so that a mistake in
//! one is not mirrored in the other.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use domain::Fen;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::wechat::{Settings, WechatPay};

/// A notification as the gateway would POST it.
#[derive(Clone, Debug)]
pub struct Notification {
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// A trade as the gateway keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeTrade {
    pub out_trade_no: String,
    /// NOTPAY, SUCCESS, CLOSED or REFUND.
    pub state: String,
    pub amount: Fen,
    pub description: String,
    pub notify_url: String,
    pub expires_at: Timestamp,
    /// Set when paid.
    pub transaction_id: Option<String>,
    pub refunds: Vec<FakeRefund>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRefund {
    pub refund_no: String,
    pub refund_id: String,
    pub amount: Fen,
    /// PROCESSING, SUCCESS, ABNORMAL or CLOSED.
    pub status: String,
    pub reason: String,
    pub notify_url: Option<String>,
}

/// Changes to a trade notification, still validly signed: for amount and merchant
/// mismatch and replay tests.
#[derive(Clone, Debug, Default)]
pub struct NotificationEdit {
    pub amount: Option<Fen>,
    pub mchid: Option<String>,
    pub appid: Option<String>,
    /// The signed `Wechatpay-Timestamp` (and the body's create_time).
    pub timestamp: Option<Timestamp>,
}

/// A handle on a running fake gateway; clones share it.
#[derive(Clone)]
pub struct FakeWechat {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    mchid: String,
    appid: String,
    merchant_serial: String,
    /// SubjectPublicKeyInfo DER of the merchant's key.
    merchant_public: Vec<u8>,
    platform_key: RsaKeyPair,
    /// A key the deployment does not know, for forgeries.
    forger_key: RsaKeyPair,
    /// What `Wechatpay-Serial` says: the public key id, or the certificate serial.
    serial: String,
    api_v3_key: String,
    settings: Settings,
    _dir: tempfile::TempDir,
    rng: SystemRandom,
    http: reqwest::Client,
    state: Mutex<Books>,
}

#[derive(Default)]
struct Books {
    trades: BTreeMap<String, Trade>,
    /// out_refund_no → out_trade_no.
    refunds: HashMap<String, String>,
    calls: Vec<String>,
    latency: Duration,
    next: u64,
}

struct Trade {
    t: FakeTrade,
    appid: String,
    code_url: String,
    success_time: Option<Timestamp>,
}

const MCHID: &str = "1900000109";
const APPID: &str = "wxd678efh567hg6787";

mod gateway;
mod keys;

use gateway::{handle, trade_state_desc};
use keys::{
    generate_key, pem, pkcs8, platform_certificate, random_alnum, random_bytes, rsa_sign, spki,
};

enum KeyKind {
    PublicKey,
    Certificate,
}

impl FakeWechat {
    /// A gateway that signs with a 微信支付公钥 (`PUB_KEY_ID_…`).
    pub async fn start() -> FakeWechat {
        FakeWechat::start_as(KeyKind::PublicKey).await
    }

    /// A gateway that signs with a 平台证书, named by the certificate's serial.
    pub async fn start_with_platform_certificate() -> FakeWechat {
        FakeWechat::start_as(KeyKind::Certificate).await
    }

    async fn start_as(kind: KeyKind) -> FakeWechat {
        let rng = SystemRandom::new();
        let merchant_key = generate_key();
        let platform_key = generate_key();
        let forger_key = generate_key();
        let merchant_serial = hex::encode_upper(random_bytes::<20>(&rng));
        let api_v3_key = random_alnum(&rng, 32);

        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write key file");
            path
        };
        let private_key_file = write(
            "apiclient_key.pem",
            &pem("PRIVATE KEY", &pkcs8(&merchant_key)),
        );
        let api_v3_key_file = write("apiv3.key", &format!("{api_v3_key}\n"));

        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind the fake gateway");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));

        let mut settings = Settings {
            mchid: MCHID.to_owned(),
            appid: APPID.to_owned(),
            merchant_serial_no: merchant_serial.clone(),
            private_key_file,
            api_v3_key_file: Some(api_v3_key_file),
            base_url: base_url.clone(),
            timeout_secs: 5,
            ..Settings::default()
        };
        let serial = match kind {
            KeyKind::PublicKey => {
                let id = format!(
                    "PUB_KEY_ID_01{}",
                    random_alnum(&rng, 10).to_ascii_uppercase()
                );
                settings.public_key_id = Some(id.clone());
                settings.public_key_file = Some(write(
                    "pub_key.pem",
                    &pem("PUBLIC KEY", &spki(&platform_key)),
                ));
                id
            }
            KeyKind::Certificate => {
                let mut serial = random_bytes::<20>(&rng);
                // Positive and without a leading zero nibble, as WeChat's are.
                serial[0] = 0x10 + serial[0] % 0x70;
                let cert = platform_certificate(&platform_key, &rng, &serial);
                let serial = hex::encode_upper(serial);
                settings.platform_certificate_files = vec![write(
                    &format!("wechatpay_{serial}.pem"),
                    &pem("CERTIFICATE", &cert),
                )];
                serial
            }
        };

        let inner = Arc::new(Inner {
            base_url,
            mchid: MCHID.to_owned(),
            appid: APPID.to_owned(),
            merchant_serial,
            merchant_public: spki(&merchant_key),
            platform_key,
            forger_key,
            serial,
            api_v3_key,
            settings,
            _dir: dir,
            rng,
            http: reqwest::Client::new(),
            state: Mutex::new(Books::default()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeWechat { inner }
    }

    /// Settings pointing at this gateway, with key files in a temp dir that lives
    /// as long as the gateway.
    pub fn settings(&self) -> Settings {
        self.inner.settings.clone()
    }

    pub fn provider(&self, notify_url: &str) -> WechatPay {
        WechatPay::from_settings(&self.inner.settings, notify_url).expect("settings of the fake")
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The `Wechatpay-Serial` this gateway signs under.
    pub fn serial(&self) -> &str {
        &self.inner.serial
    }

    pub fn trade(&self, out_trade_no: &str) -> Option<FakeTrade> {
        self.inner
            .books()
            .trades
            .get(out_trade_no)
            .map(|t| t.t.clone())
    }

    /// The payer scans and pays.
    pub fn pay(&self, out_trade_no: &str) -> Result<(), String> {
        let mut books = self.inner.books();
        let id = books.next_id("4200000");
        let Some(trade) = books.trades.get_mut(out_trade_no) else {
            return Err(format!("no trade {out_trade_no}"));
        };
        if trade.t.state != "NOTPAY" {
            return Err(format!("the trade is {}", trade.t.state));
        }
        let now = Timestamp::now();
        if now > trade.t.expires_at {
            return Err("the code has expired (time_expire)".to_owned());
        }
        trade.t.state = "SUCCESS".to_owned();
        trade.t.transaction_id = Some(id);
        trade.success_time = Some(now);
        Ok(())
    }

    /// A valid TRANSACTION.SUCCESS for the trade as it stands now.
    pub fn trade_notification(&self, out_trade_no: &str) -> Notification {
        self.notification_with(out_trade_no, NotificationEdit::default())
    }

    pub fn notification_with(&self, out_trade_no: &str, edit: NotificationEdit) -> Notification {
        let resource = self.inner.transaction_resource(out_trade_no, &edit);
        let when = edit.timestamp.unwrap_or_else(Timestamp::now);
        self.inner.notification(
            "TRANSACTION.SUCCESS",
            "支付成功",
            "transaction",
            &resource,
            when,
            &self.inner.platform_key,
        )
    }

    /// Signed with a key the deployment does not know, under the gateway's serial.
    pub fn forged_notification(&self, out_trade_no: &str) -> Notification {
        let resource = self
            .inner
            .transaction_resource(out_trade_no, &NotificationEdit::default());
        self.inner.notification(
            "TRANSACTION.SUCCESS",
            "支付成功",
            "transaction",
            &resource,
            Timestamp::now(),
            &self.inner.forger_key,
        )
    }

    /// POSTs a notification; returns the status and body of the answer.
    pub async fn send(&self, url: &str, n: &Notification) -> (u16, String) {
        let response = self
            .inner
            .http
            .post(url)
            .headers(n.headers.clone())
            .body(n.body.clone())
            .send()
            .await
            .expect("send the notification");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Pays, then sends the notification to the trade's notify_url.
    pub async fn pay_and_notify(&self, out_trade_no: &str) -> (u16, String) {
        if let Err(e) = self.pay(out_trade_no) {
            panic!("the fake payer cannot pay {out_trade_no}: {e}");
        }
        let url = self
            .trade(out_trade_no)
            .map(|t| t.notify_url)
            .unwrap_or_default();
        let n = self.trade_notification(out_trade_no);
        self.send(&url, &n).await
    }

    /// The refund is paid out (SUCCESS) or fails (ABNORMAL); its REFUND.* notification
    /// is sent to the refund's notify_url.
    pub async fn finish_refund(&self, refund_no: &str, success: bool) -> (u16, String) {
        let status = if success { "SUCCESS" } else { "ABNORMAL" };
        let (resource, url) = {
            let mut books = self.inner.books();
            let out_trade_no = books
                .refunds
                .get(refund_no)
                .cloned()
                .unwrap_or_else(|| panic!("no refund {refund_no}"));
            let trade = books
                .trades
                .get_mut(&out_trade_no)
                .unwrap_or_else(|| panic!("no trade {out_trade_no}"));
            let total = trade.t.amount;
            let transaction_id = trade.t.transaction_id.clone().unwrap_or_default();
            let r = trade
                .t
                .refunds
                .iter_mut()
                .find(|r| r.refund_no == refund_no)
                .unwrap_or_else(|| panic!("no refund {refund_no}"));
            r.status = status.to_owned();
            let resource = json!({
                "mchid": self.inner.mchid,
                "out_trade_no": out_trade_no,
                "transaction_id": transaction_id,
                "out_refund_no": r.refund_no,
                "refund_id": r.refund_id,
                "refund_status": status,
                "success_time": china_time(Timestamp::now()),
                "user_received_account": "支付用户零钱",
                "amount": {
                    "total": total.0,
                    "refund": r.amount.0,
                    "payer_total": total.0,
                    "payer_refund": r.amount.0,
                },
            });
            (resource, r.notify_url.clone())
        };
        let url = url.unwrap_or_else(|| panic!("refund {refund_no} has no notify_url"));
        let summary = if success {
            "退款成功"
        } else {
            "退款异常"
        };
        let n = self.inner.notification(
            &format!("REFUND.{status}"),
            summary,
            "refund",
            &resource,
            Timestamp::now(),
            &self.inner.platform_key,
        );
        self.send(&url, &n).await
    }

    /// Every answer is delayed by this much.
    pub fn set_latency(&self, latency: Duration) {
        self.inner.books().latency = latency;
    }

    /// "METHOD path" of each request seen, in order.
    pub fn calls(&self) -> Vec<String> {
        self.inner.books().calls.clone()
    }
}

fn china_time(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

impl Books {
    fn next_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:020}", self.next)
    }
}

impl Inner {
    fn books(&self) -> MutexGuard<'_, Books> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn transaction_resource(&self, out_trade_no: &str, edit: &NotificationEdit) -> Value {
        let books = self.books();
        let trade = books
            .trades
            .get(out_trade_no)
            .unwrap_or_else(|| panic!("no trade {out_trade_no}"));
        let amount = edit.amount.unwrap_or(trade.t.amount).0;
        let mut resource = json!({
            "appid": edit.appid.clone().unwrap_or_else(|| trade.appid.clone()),
            "mchid": edit.mchid.clone().unwrap_or_else(|| self.mchid.clone()),
            "out_trade_no": out_trade_no,
            "trade_type": "NATIVE",
            "trade_state": trade.t.state,
            "trade_state_desc": trade_state_desc(&trade.t.state),
            "bank_type": "OTHERS",
            "attach": "",
            "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
            "amount": {
                "total": amount,
                "payer_total": amount,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        });
        if let Some(id) = &trade.t.transaction_id {
            resource["transaction_id"] = json!(id);
        }
        if let Some(t) = trade.success_time {
            resource["success_time"] = json!(china_time(t));
        }
        resource
    }

    /// A notification with its resource sealed with the APIv3 key and the whole
    /// signed with `key` at `when`.
    fn notification(
        &self,
        event_type: &str,
        summary: &str,
        original_type: &str,
        resource: &Value,
        when: Timestamp,
        key: &RsaKeyPair,
    ) -> Notification {
        let nonce = random_alnum(&self.rng, 12);
        let sealing = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, self.api_v3_key.as_bytes()).expect("AES key"),
        );
        let mut data = resource.to_string().into_bytes();
        sealing
            .seal_in_place_append_tag(
                Nonce::try_assume_unique_for_key(nonce.as_bytes()).expect("12-byte nonce"),
                Aad::from(original_type.as_bytes()),
                &mut data,
            )
            .expect("AES-GCM");
        let id = format!("EV-{}", hex::encode_upper(random_bytes::<10>(&self.rng)));
        let body = json!({
            "id": id,
            "create_time": china_time(when),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": B64.encode(&data),
                "associated_data": original_type,
                "nonce": nonce,
            },
        })
        .to_string()
        .into_bytes();
        let headers = self.signed_headers(&body, when, key);
        Notification { headers, body }
    }

    fn signed_headers(&self, body: &[u8], when: Timestamp, key: &RsaKeyPair) -> http::HeaderMap {
        let timestamp = when.as_second().to_string();
        let nonce = hex::encode_upper(random_bytes::<16>(&self.rng));
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        let signature = rsa_sign(key, &self.rng, &message);
        let mut headers = http::HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            headers.insert(
                name,
                http::HeaderValue::from_str(value).expect("header value"),
            );
        };
        put("content-type", "application/json");
        put("wechatpay-timestamp", &timestamp);
        put("wechatpay-nonce", &nonce);
        put("wechatpay-signature", &signature);
        put("wechatpay-serial", &self.serial);
        put("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048");
        put("request-id", &hex::encode(random_bytes::<12>(&self.rng)));
        headers
    }

    /// An answer, signed with the platform key.
    fn answer(&self, status: u16, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let headers = self.signed_headers(&body, Timestamp::now(), &self.platform_key);
        let status = http::StatusCode::from_u16(status).expect("status");
        (status, headers, body).into_response()
    }

    fn error(&self, status: u16, code: &str, message: &str) -> Response {
        self.answer(status, Some(json!({ "code": code, "message": message })))
    }

    /// Checks the `Authorization` header the way WeChat Pay does.
    fn check_signature(
        &self,
        method: &str,
        path: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(), &'static str> {
        let auth = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("no Authorization")?;
        let params = auth
            .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
            .ok_or("unknown authorization scheme")?;
        let mut fields = HashMap::new();
        for part in params.split(',') {
            let (k, v) = part
                .trim()
                .split_once('=')
                .ok_or("malformed Authorization")?;
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or("unquoted value in Authorization")?;
            fields.insert(k, v);
        }
        let get = |k: &str| fields.get(k).copied().ok_or("incomplete Authorization");
        if get("mchid")? != self.mchid {
            return Err("mchid");
        }
        if !get("serial_no")?.eq_ignore_ascii_case(&self.merchant_serial) {
            return Err("serial_no");
        }
        let timestamp: i64 = get("timestamp")?.parse().map_err(|_| "timestamp")?;
        if (Timestamp::now().as_second() - timestamp).abs() > 300 {
            return Err("timestamp too far from now");
        }
        let nonce = get("nonce_str")?;
        let signature = B64
            .decode(get("signature")?)
            .map_err(|_| "signature not base64")?;
        let mut message = format!("{method}\n{path}\n{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.merchant_public)
            .verify(&message, &signature)
            .map_err(|_| "signature does not verify")
    }
}
