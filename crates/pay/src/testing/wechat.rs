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
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use axum::body::Bytes;
use axum::extract::State;
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

fn random_bytes<const N: usize>(rng: &SystemRandom) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill(&mut b).expect("randomness");
    b
}

fn random_alnum(rng: &SystemRandom, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    rng.fill(&mut bytes).expect("randomness");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn generate_key() -> RsaKeyPair {
    RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation")
}

fn pkcs8(key: &RsaKeyPair) -> Vec<u8> {
    let der: Pkcs8V1Der<'static> = key.as_der().expect("PKCS#8");
    der.as_ref().to_vec()
}

fn spki(key: &RsaKeyPair) -> Vec<u8> {
    let der: PublicKeyX509Der<'static> = key.public_key().as_der().expect("SPKI");
    der.as_ref().to_vec()
}

fn rsa_sign(key: &RsaKeyPair, rng: &SystemRandom, message: &[u8]) -> String {
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, rng, message, &mut sig)
        .expect("RSA signing");
    B64.encode(sig)
}

/// A DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A minimal X.509 v3 certificate carrying the platform's public key, as WeChat's
/// 平台证书 does (its chain is not what the client checks; its serial names the key).
fn platform_certificate(key: &RsaKeyPair, rng: &SystemRandom, serial: &[u8]) -> Vec<u8> {
    let name = |cn: &str| {
        let atv = tlv(
            0x30,
            &cat(&[&tlv(0x06, &[0x55, 0x04, 0x03]), &tlv(0x0c, cn.as_bytes())]),
        );
        tlv(0x30, &tlv(0x31, &atv))
    };
    let sha256_rsa = tlv(
        0x30,
        &cat(&[
            &tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
            ),
            &[0x05, 0x00],
        ]),
    );
    let validity = tlv(
        0x30,
        &cat(&[&tlv(0x17, b"250101000000Z"), &tlv(0x17, b"491231235959Z")]),
    );
    let tbs = tlv(
        0x30,
        &cat(&[
            &tlv(0xa0, &tlv(0x02, &[2])),
            &tlv(0x02, serial),
            &sha256_rsa,
            &name("Tenpay.com Root CA"),
            &validity,
            &name("Tenpay.com"),
            &spki(key),
        ]),
    );
    let signature = B64.decode(rsa_sign(key, rng, &tbs)).expect("base64");
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    tlv(0x30, &cat(&[&tbs, &sha256_rsa, &tlv(0x03, &bits)]))
}

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

fn trade_state_desc(state: &str) -> &'static str {
    match state {
        "SUCCESS" => "支付成功",
        "NOTPAY" => "未支付",
        "CLOSED" => "已关闭",
        "REFUND" => "转入退款",
        _ => "",
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let latency = {
        let mut books = inner.books();
        books.calls.push(format!("{method} {path}"));
        books.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Err(why) = inner.check_signature(method.as_str(), &path_and_query, &headers, &body) {
        return inner.error(401, "SIGN_ERROR", &format!("签名错误: {why}"));
    }
    let json: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return inner.error(400, "PARAM_ERROR", "请求体不是JSON"),
        }
    };
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();

    const TRADE: &str = "/v3/pay/transactions/out-trade-no/";
    const REFUNDS: &str = "/v3/refund/domestic/refunds";
    match (method.as_str(), path.as_str()) {
        ("POST", "/v3/pay/transactions/native") => create(&inner, &json),
        ("POST", REFUNDS) => refund(&inner, &json),
        ("GET", p) if p.starts_with(TRADE) && !p[TRADE.len()..].contains('/') => {
            if query.get("mchid").map(String::as_str) != Some(inner.mchid.as_str()) {
                return inner.error(400, "PARAM_ERROR", "mchid 参数错误");
            }
            query_trade(&inner, &p[TRADE.len()..])
        }
        ("POST", p) if p.starts_with(TRADE) && p.ends_with("/close") => {
            let no = &p[TRADE.len()..p.len() - "/close".len()];
            if json["mchid"].as_str() != Some(inner.mchid.as_str()) {
                return inner.error(400, "PARAM_ERROR", "mchid 参数错误");
            }
            close(&inner, no)
        }
        ("GET", p) if p.starts_with(REFUNDS) && p[REFUNDS.len()..].starts_with('/') => {
            query_refund(&inner, &p[REFUNDS.len() + 1..])
        }
        _ => inner.error(404, "NOT_FOUND", "接口不存在"),
    }
}

fn create(inner: &Inner, req: &Value) -> Response {
    let s = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (appid, mchid, out_trade_no) = (s("appid"), s("mchid"), s("out_trade_no"));
    let (description, notify_url, time_expire) =
        (s("description"), s("notify_url"), s("time_expire"));
    if mchid != inner.mchid || appid != inner.appid {
        return inner.error(400, "PARAM_ERROR", "appid和mch_id不匹配");
    }
    if out_trade_no.is_empty() || description.is_empty() || !notify_url.starts_with("http") {
        return inner.error(400, "PARAM_ERROR", "缺少参数");
    }
    let Some(total) = req["amount"]["total"].as_i64().filter(|t| *t > 0) else {
        return inner.error(400, "PARAM_ERROR", "amount.total 错误");
    };
    if req["amount"]["currency"].as_str().unwrap_or("CNY") != "CNY" {
        return inner.error(400, "PARAM_ERROR", "币种错误");
    }
    // RFC 3339 with an offset, as the protocol demands.
    let expires_at = if time_expire.is_empty() {
        Timestamp::now() + jiff::SignedDuration::from_hours(2)
    } else {
        match time_expire.parse::<Timestamp>() {
            Ok(t) if time_expire.ends_with("+08:00") => t,
            _ => return inner.error(400, "PARAM_ERROR", "time_expire 格式错误"),
        }
    };
    let mut books = inner.books();
    if let Some(existing) = books.trades.get(&out_trade_no) {
        return match existing.t.state.as_str() {
            "NOTPAY" if existing.t.amount == Fen(total) => {
                inner.answer(200, Some(json!({ "code_url": existing.code_url })))
            }
            "NOTPAY" => inner.error(400, "INVALID_REQUEST", "订单号重复"),
            "CLOSED" => inner.error(400, "ORDER_CLOSED", "订单已关闭"),
            _ => inner.error(403, "ORDERPAID", "该订单已支付"),
        };
    }
    let code_url = format!(
        "weixin://wxpay/bizpayurl?pr={}",
        random_alnum(&inner.rng, 7)
    );
    books.trades.insert(
        out_trade_no.clone(),
        Trade {
            t: FakeTrade {
                out_trade_no,
                state: "NOTPAY".to_owned(),
                amount: Fen(total),
                description,
                notify_url,
                expires_at,
                transaction_id: None,
                refunds: Vec::new(),
            },
            appid,
            code_url: code_url.clone(),
            success_time: None,
        },
    );
    inner.answer(200, Some(json!({ "code_url": code_url })))
}

fn query_trade(inner: &Inner, no: &str) -> Response {
    let books = inner.books();
    let Some(trade) = books.trades.get(no) else {
        return inner.error(404, "ORDER_NOT_EXIST", "订单不存在");
    };
    let mut body = json!({
        "appid": trade.appid,
        "mchid": inner.mchid,
        "out_trade_no": no,
        "trade_type": "NATIVE",
        "trade_state": trade.t.state,
        "trade_state_desc": trade_state_desc(&trade.t.state),
        "amount": { "total": trade.t.amount.0, "currency": "CNY" },
    });
    if let Some(id) = &trade.t.transaction_id {
        body["transaction_id"] = json!(id);
        body["amount"]["payer_total"] = json!(trade.t.amount.0);
        body["amount"]["payer_currency"] = json!("CNY");
        body["payer"] = json!({ "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" });
    }
    if let Some(t) = trade.success_time {
        body["success_time"] = json!(china_time(t));
    }
    inner.answer(200, Some(body))
}

fn close(inner: &Inner, no: &str) -> Response {
    let mut books = inner.books();
    let Some(trade) = books.trades.get_mut(no) else {
        return inner.error(404, "ORDER_NOT_EXIST", "订单不存在");
    };
    match trade.t.state.as_str() {
        "NOTPAY" | "CLOSED" => {
            trade.t.state = "CLOSED".to_owned();
            inner.answer(204, None)
        }
        _ => inner.error(400, "ORDERPAID", "订单已支付"),
    }
}

fn refund_body(trade: &FakeTrade, r: &FakeRefund) -> Value {
    json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.refund_no,
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": china_time(Timestamp::now()),
        "status": r.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": trade.amount.0,
            "refund": r.amount.0,
            "payer_total": trade.amount.0,
            "payer_refund": r.amount.0,
            "currency": "CNY",
        },
    })
}

fn refund(inner: &Inner, req: &Value) -> Response {
    let s = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (out_trade_no, refund_no, reason) = (s("out_trade_no"), s("out_refund_no"), s("reason"));
    let notify_url = Some(s("notify_url")).filter(|u| !u.is_empty());
    let (Some(amount), Some(total)) = (
        req["amount"]["refund"].as_i64().filter(|a| *a > 0),
        req["amount"]["total"].as_i64(),
    ) else {
        return inner.error(400, "PARAM_ERROR", "amount 错误");
    };
    if out_trade_no.is_empty() || refund_no.is_empty() {
        return inner.error(400, "PARAM_ERROR", "缺少参数");
    }
    let mut books = inner.books();
    let refund_id = books.next_id("50000");
    let known = books.refunds.get(&refund_no).cloned();
    let Some(trade) = books.trades.get_mut(&out_trade_no) else {
        return inner.error(404, "RESOURCE_NOT_EXISTS", "订单不存在");
    };
    // The same out_refund_no again is the same refund: nothing is paid twice.
    if let Some(of) = known {
        let same = trade.t.refunds.iter().find(|r| r.refund_no == refund_no);
        return match same {
            Some(r) if of == out_trade_no && r.amount == Fen(amount) => {
                inner.answer(200, Some(refund_body(&trade.t, r)))
            }
            _ => inner.error(
                400,
                "INVALID_REQUEST",
                "退款单号重复，且请求参数与之前不一致",
            ),
        };
    }
    if !matches!(trade.t.state.as_str(), "SUCCESS" | "REFUND") {
        return inner.error(400, "INVALID_REQUEST", "订单未支付");
    }
    if total != trade.t.amount.0 {
        return inner.error(400, "PARAM_ERROR", "订单金额与实际不符");
    }
    let refunded: i64 = trade
        .t
        .refunds
        .iter()
        .filter(|r| r.status != "CLOSED" && r.status != "ABNORMAL")
        .map(|r| r.amount.0)
        .sum();
    if refunded + amount > total {
        return inner.error(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额");
    }
    let r = FakeRefund {
        refund_no: refund_no.clone(),
        refund_id,
        amount: Fen(amount),
        status: "PROCESSING".to_owned(),
        reason,
        notify_url,
    };
    trade.t.state = "REFUND".to_owned();
    trade.t.refunds.push(r.clone());
    let body = refund_body(&trade.t, &r);
    books.refunds.insert(refund_no, out_trade_no);
    inner.answer(200, Some(body))
}

fn query_refund(inner: &Inner, refund_no: &str) -> Response {
    let books = inner.books();
    let found = books.refunds.get(refund_no).and_then(|no| {
        let trade = books.trades.get(no)?;
        let r = trade.t.refunds.iter().find(|r| r.refund_no == refund_no)?;
        Some(refund_body(&trade.t, r))
    });
    match found {
        Some(body) => inner.answer(200, Some(body)),
        None => inner.error(404, "RESOURCE_NOT_EXISTS", "退款单不存在"),
    }
}
