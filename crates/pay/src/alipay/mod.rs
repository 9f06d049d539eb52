//! Alipay 当面付 (face-to-face payment, the QR code the payer scans): the open
//! platform's `alipay.trade.precreate` and friends, in public-key mode with RSA2.
//!
//! Every request is a form POST to the gateway carrying the common parameters and a
//! JSON `biz_content`, signed with the app's private key. Every answer is JSON,
//! `{"<method>_response": {...}, "sign": "..."}`, signed by Alipay over the exact text
//! of the `_response` value; nothing is believed before that signature checks out.
//!
//! Two habits of the real gateway the caller should know:
//! - a precreated trade exists at Alipay only once somebody has scanned its code, so
//!   `query` and `close` of an unscanned trade answer [`ProviderError::UnknownTrade`]
//!   (ACQ.TRADE_NOT_EXIST), and such a code stays payable until `time_expire`;
//! - refunds are synchronous: the answer says whether money moved.

mod keys;
mod notify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::Fen;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tracing::{debug, warn};

use crate::{
    Ack, BoxFuture, ConfigError, NewTrade, Notice, NoticeError, Provider, ProviderError,
    RefundOutcome, RefundRequest, RefundState, TradeState,
};

#[cfg(feature = "testing")]
pub(crate) use keys::{
    SigningKey, VerifyingKey, china_time, parse_china_time, sign_content, to_pem,
};

/// The production gateway.
pub const GATEWAY_URL: &str = "https://openapi.alipay.com/gateway.do";

/// The code of a successful call.
const SUCCESS: &str = "10000";

/// `[payments.alipay]` in the config.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The app's id on the open platform (APPID), e.g. `2021004100000000`.
    pub app_id: String,
    /// The merchant's PID (合作伙伴身份), `2088` and 12 more digits.
    pub seller_id: String,
    /// The app's RSA private key (应用私钥), PEM PKCS#8 or PKCS#1.
    pub private_key_file: PathBuf,
    /// Alipay's public key (支付宝公钥), PEM SubjectPublicKeyInfo.
    pub alipay_public_key_file: PathBuf,
    pub gateway_url: String,
    pub timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            app_id: String::new(),
            seller_id: String::new(),
            private_key_file: PathBuf::new(),
            alipay_public_key_file: PathBuf::new(),
            gateway_url: GATEWAY_URL.to_string(),
            timeout_secs: 10,
        }
    }
}

fn setting(field: &str) -> String {
    format!("payments.alipay.{field}")
}

/// The Alipay provider: one app, one merchant.
pub struct Alipay {
    app_id: String,
    seller_id: String,
    app_key: keys::SigningKey,
    alipay_key: keys::VerifyingKey,
    gateway: reqwest::Url,
    notify_url: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Alipay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alipay")
            .field("app_id", &self.app_id)
            .field("seller_id", &self.seller_id)
            .field("gateway", &self.gateway.as_str())
            .finish_non_exhaustive()
    }
}

impl Alipay {
    /// Reads and checks the settings and the key files. `notify_url` is where Alipay
    /// sends its notifications (`{public_url}/pay/notify/alipay`).
    pub fn from_settings(settings: &Settings, notify_url: &str) -> Result<Alipay, ConfigError> {
        let app_id = settings.app_id.trim();
        if app_id.is_empty() {
            return Err(ConfigError::new(setting("app_id"), "missing"));
        }
        if !app_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                setting("app_id"),
                "an APPID is digits only, e.g. 2021004100000000",
            ));
        }
        let seller_id = settings.seller_id.trim();
        if seller_id.is_empty() {
            return Err(ConfigError::new(setting("seller_id"), "missing"));
        }
        if !(seller_id.len() == 16
            && seller_id.starts_with("2088")
            && seller_id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ConfigError::new(
                setting("seller_id"),
                "a merchant PID is 16 digits starting with 2088",
            ));
        }
        let app_key = keys::SigningKey::from_pem(&read_key_file(
            &settings.private_key_file,
            "private_key_file",
        )?)
        .map_err(|reason| ConfigError::new(setting("private_key_file"), reason))?;
        let alipay_key = keys::VerifyingKey::from_pem(&read_key_file(
            &settings.alipay_public_key_file,
            "alipay_public_key_file",
        )?)
        .map_err(|reason| ConfigError::new(setting("alipay_public_key_file"), reason))?;
        let gateway = reqwest::Url::parse(settings.gateway_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| ConfigError::new(setting("gateway_url"), "not an http(s) URL"))?;
        if settings.timeout_secs == 0 || settings.timeout_secs > 300 {
            return Err(ConfigError::new(
                setting("timeout_secs"),
                "between 1 and 300 seconds",
            ));
        }
        let notify = reqwest::Url::parse(notify_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| ConfigError::new("public_url", "the notification URL is not http(s)"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| ConfigError::new(setting("gateway_url"), e))?;
        Ok(Alipay {
            app_id: app_id.to_string(),
            seller_id: seller_id.to_string(),
            app_key,
            alipay_key,
            gateway,
            notify_url: notify.to_string(),
            http,
        })
    }

    /// Calls one method of the gateway and returns the verified `_response` object,
    /// parsed as `T` once its `code` says success.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        biz: serde_json::Value,
        with_notify_url: bool,
    ) -> Result<T, ProviderError> {
        let timestamp = keys::china_time(jiff::Timestamp::now());
        let biz_content = biz.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("app_id", &self.app_id),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", &timestamp),
            ("version", "1.0"),
            ("biz_content", &biz_content),
        ];
        if with_notify_url {
            params.push(("notify_url", &self.notify_url));
        }
        let sign = self
            .app_key
            .sign(&keys::sign_content(params.iter().copied(), &["sign"]))
            .map_err(ProviderError::Failed)?;
        params.push(("sign", &sign));
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();

        let response = self
            .http
            .post(self.gateway.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(method, e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| transport_error(method, e))?;
        if !status.is_success() {
            warn!(method, status = status.as_u16(), "alipay: HTTP error");
            return Err(ProviderError::Failed(format!(
                "{method}: the gateway answered HTTP {status}"
            )));
        }
        let node = self.verified_node(method, &text)?;
        let head: Head = serde_json::from_str(node)
            .map_err(|e| ProviderError::Failed(format!("{method}: unreadable answer: {e}")))?;
        if head.code != SUCCESS {
            let code = head.sub_code.unwrap_or(head.code);
            let message = head.sub_msg.or(head.msg).unwrap_or_default();
            if code == "ACQ.TRADE_NOT_EXIST" {
                return Err(ProviderError::UnknownTrade);
            }
            warn!(method, code = %code, "alipay refused");
            return Err(ProviderError::Rejected { code, message });
        }
        serde_json::from_str(node)
            .map_err(|e| ProviderError::Failed(format!("{method}: unreadable answer: {e}")))
    }

    /// The raw text of the answer's `_response` value, once Alipay's signature over
    /// exactly that text (not a re-serialisation: Alipay writes `\/` and the like)
    /// verifies.
    fn verified_node<'t>(&self, method: &str, text: &'t str) -> Result<&'t str, ProviderError> {
        let envelope: std::collections::HashMap<String, &'t RawValue> = serde_json::from_str(text)
            .map_err(|e| ProviderError::Failed(format!("{method}: the answer is not JSON: {e}")))?;
        let name = format!("{}_response", method.replace('.', "_"));
        let node = envelope
            .get(&name)
            .or_else(|| envelope.get("error_response"))
            .ok_or_else(|| ProviderError::Failed(format!("{method}: no `{name}` in the answer")))?
            .get();
        let sign: Option<String> = envelope
            .get("sign")
            .and_then(|raw| serde_json::from_str(raw.get()).ok());
        let Some(sign) = sign else {
            // The gateway leaves some errors (an unknown app id) unsigned: say what
            // it claims, but believe nothing.
            let claim = serde_json::from_str::<Head>(node)
                .map(|h| h.sub_code.unwrap_or(h.code))
                .unwrap_or_default();
            warn!(method, claim = %claim, "alipay: unsigned answer");
            return Err(ProviderError::Failed(format!(
                "{method}: the answer is not signed (it claims `{claim}`)"
            )));
        };
        if !self.alipay_key.verify(node, &sign) {
            warn!(method, "alipay: the answer's signature does not verify");
            return Err(ProviderError::Failed(format!(
                "{method}: the answer's signature does not verify with the Alipay public key"
            )));
        }
        Ok(node)
    }

    async fn do_query(&self, out_trade_no: &str) -> Result<TradeState, ProviderError> {
        let answer: QueryAnswer = self
            .call(
                "alipay.trade.query",
                serde_json::json!({ "out_trade_no": out_trade_no }),
                false,
            )
            .await?;
        if answer
            .out_trade_no
            .as_deref()
            .is_some_and(|n| n != out_trade_no)
        {
            return Err(ProviderError::Failed(
                "alipay.trade.query: the answer is about another trade".into(),
            ));
        }
        match answer.trade_status.as_str() {
            "WAIT_BUYER_PAY" => Ok(TradeState::NotPaid),
            "TRADE_CLOSED" => Ok(TradeState::Closed),
            "TRADE_SUCCESS" | "TRADE_FINISHED" => {
                let transaction_id =
                    answer.trade_no.filter(|t| !t.is_empty()).ok_or_else(|| {
                        ProviderError::Failed(
                            "alipay.trade.query: a paid trade without trade_no".into(),
                        )
                    })?;
                let amount = parse_amount("alipay.trade.query", answer.total_amount.as_deref())?;
                Ok(TradeState::Paid {
                    transaction_id,
                    amount,
                })
            }
            other => Err(ProviderError::Failed(format!(
                "alipay.trade.query: unknown trade_status `{other}`"
            ))),
        }
    }

    async fn do_query_refund(
        &self,
        out_trade_no: &str,
        refund_no: &str,
    ) -> Result<RefundOutcome, ProviderError> {
        let answer: RefundQueryAnswer = self
            .call(
                "alipay.trade.fastpay.refund.query",
                serde_json::json!({ "out_trade_no": out_trade_no, "out_request_no": refund_no }),
                false,
            )
            .await?;
        // Alipay: only REFUND_SUCCESS is a refund done; an answer without a status
        // means it found no such refund (yet).
        let state = match answer.refund_status.as_deref() {
            Some("REFUND_SUCCESS") => RefundState::Succeeded,
            None | Some("") => RefundState::Processing,
            Some(other) => {
                return Err(ProviderError::Failed(format!(
                    "alipay.trade.fastpay.refund.query: unknown refund_status `{other}`"
                )));
            }
        };
        Ok(RefundOutcome {
            state,
            provider_refund_id: None,
        })
    }
}

fn read_key_file(path: &Path, field: &str) -> Result<zeroize::Zeroizing<String>, ConfigError> {
    if path.as_os_str().is_empty() {
        return Err(ConfigError::new(setting(field), "missing"));
    }
    std::fs::read_to_string(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| {
            ConfigError::new(
                setting(field),
                format!("cannot read {}: {e}", path.display()),
            )
        })
}

fn transport_error(method: &str, e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        warn!(method, "alipay: no answer in time");
        ProviderError::Timeout
    } else {
        warn!(method, error = %e, "alipay: transport error");
        ProviderError::Failed(format!("{method}: {e}"))
    }
}

fn parse_amount(method: &str, text: Option<&str>) -> Result<Fen, ProviderError> {
    let text = text.unwrap_or_default();
    Fen::parse_yuan(text)
        .map_err(|e| ProviderError::Failed(format!("{method}: amount `{text}`: {e}")))
}

/// What every answer carries.
#[derive(Deserialize)]
struct Head {
    code: String,
    msg: Option<String>,
    sub_code: Option<String>,
    sub_msg: Option<String>,
}

#[derive(Deserialize)]
struct PrecreateAnswer {
    qr_code: String,
}

#[derive(Deserialize)]
struct QueryAnswer {
    trade_status: String,
    trade_no: Option<String>,
    out_trade_no: Option<String>,
    total_amount: Option<String>,
}

#[derive(Deserialize)]
struct RefundAnswer {
    fund_change: Option<String>,
}

#[derive(Deserialize)]
struct RefundQueryAnswer {
    refund_status: Option<String>,
}

/// What `close` needs from an answer: nothing but its success.
#[derive(Deserialize)]
struct Empty {}

impl Provider for Alipay {
    fn name(&self) -> &'static str {
        "alipay"
    }

    fn merchant(&self) -> String {
        format!("{}/{}", self.app_id, self.seller_id)
    }

    fn create<'a>(
        &'a self,
        trade: &'a NewTrade<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let biz = serde_json::json!({
                "out_trade_no": trade.out_trade_no,
                "total_amount": trade.amount.yuan_string(),
                "subject": trade.description,
                "seller_id": self.seller_id,
                "time_expire": keys::china_time(trade.expires_at),
            });
            let answer: PrecreateAnswer = self.call("alipay.trade.precreate", biz, true).await?;
            if answer.qr_code.is_empty() {
                return Err(ProviderError::Failed(
                    "alipay.trade.precreate: no qr_code in the answer".into(),
                ));
            }
            debug!(
                out_trade_no = trade.out_trade_no,
                "alipay: trade precreated"
            );
            Ok(answer.qr_code)
        })
    }

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, ProviderError>> {
        Box::pin(self.do_query(out_trade_no))
    }

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let result: Result<Empty, ProviderError> = self
                .call(
                    "alipay.trade.close",
                    serde_json::json!({ "out_trade_no": out_trade_no }),
                    false,
                )
                .await;
            match result {
                Ok(_) => Ok(()),
                // Alipay refuses to close a trade that is not waiting for payment; if
                // it is closed already, that is what the caller wanted.
                Err(ProviderError::Rejected { code, message })
                    if code == "ACQ.TRADE_STATUS_ERROR" || code == "ACQ.TRADE_HAS_CLOSE" =>
                {
                    match self.do_query(out_trade_no).await? {
                        TradeState::Closed => Ok(()),
                        _ => Err(ProviderError::Rejected { code, message }),
                    }
                }
                Err(e) => Err(e),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(async move {
            let biz = serde_json::json!({
                "out_trade_no": refund.out_trade_no,
                "refund_amount": refund.amount.yuan_string(),
                "out_request_no": refund.refund_no,
                "refund_reason": refund.reason,
            });
            let answer: RefundAnswer = self.call("alipay.trade.refund", biz, false).await?;
            match answer.fund_change.as_deref() {
                Some("Y") => Ok(RefundOutcome {
                    state: RefundState::Succeeded,
                    provider_refund_id: None,
                }),
                // No money moved this time (a repeat of a refund done before, or one
                // still under way): Alipay says to ask the refund query.
                _ => {
                    self.do_query_refund(refund.out_trade_no, refund.refund_no)
                        .await
                }
            }
        })
    }

    fn query_refund<'a>(
        &'a self,
        out_trade_no: &'a str,
        refund_no: &'a str,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(self.do_query_refund(out_trade_no, refund_no))
    }

    fn verify_notification(
        &self,
        _headers: &http::HeaderMap,
        body: &[u8],
        now: jiff::Timestamp,
    ) -> Result<Notice, NoticeError> {
        notify::verify(&self.alipay_key, body, now)
    }

    fn acknowledge(&self, accepted: bool) -> Ack {
        Ack {
            status: 200,
            content_type: "text/plain",
            body: if accepted { "success" } else { "fail" }.to_string(),
        }
    }
}
