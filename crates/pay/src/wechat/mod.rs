//! WeChat Pay API v3, Native (QR code) payments, after the published protocol
//! (pay.weixin.qq.com/doc/v3/merchant): requests signed with the merchant's RSA key
//! (WECHATPAY2-SHA256-RSA2048), every answer and notification verified with WeChat's
//! key (微信支付公钥 or 平台证书), notification resources opened with the APIv3 key.

mod notice;
mod settings;
mod sign;

use std::collections::HashMap;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RsaKeyPair;
use domain::Fen;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::{
    Ack, BoxFuture, ConfigError, NewTrade, Notice, NoticeError, Provider, ProviderError,
    RefundOutcome, RefundRequest, RefundState, TradeState,
};

pub use settings::{DEFAULT_BASE_URL, DEFAULT_TIMEOUT_SECS, Settings};

/// The WeChat Pay provider for one merchant and app.
pub struct WechatPay {
    mchid: String,
    appid: String,
    merchant_serial_no: String,
    private_key: RsaKeyPair,
    api_v3_key: Zeroizing<Vec<u8>>,
    verifiers: HashMap<String, Vec<u8>>,
    base_url: String,
    notify_url: String,
    http: reqwest::Client,
    rng: SystemRandom,
}

impl std::fmt::Debug for WechatPay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No keys here, ever.
        f.debug_struct("WechatPay")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field(
                "verification_keys",
                &self.verifiers.keys().collect::<Vec<_>>(),
            )
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// An error body: `{"code": "...", "message": "..."}`.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Amount {
    total: i64,
}

#[derive(Deserialize)]
struct Transaction {
    out_trade_no: String,
    trade_state: String,
    transaction_id: Option<String>,
    amount: Option<Amount>,
}

#[derive(Deserialize)]
struct Refund {
    out_refund_no: String,
    refund_id: Option<String>,
    status: String,
}

impl WechatPay {
    /// Reads every file the settings name and parses every key; `notify_url` is
    /// where WeChat sends notifications (`{public_url}/pay/notify/wechat`).
    pub fn from_settings(s: &Settings, notify_url: &str) -> Result<WechatPay, ConfigError> {
        let loaded = settings::load(s)?;
        match reqwest::Url::parse(notify_url) {
            // WeChat requires an https address without a query string.
            Ok(u) if matches!(u.scheme(), "https" | "http") && u.query().is_none() => {}
            _ => {
                return Err(ConfigError::new(
                    "public_url",
                    format!(
                        "the WeChat Pay notification URL {notify_url} is not an http(s) URL without a query"
                    ),
                ));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(loaded.timeout)
            .user_agent(concat!("certdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::new("payments.wechat.base_url", e))?;
        Ok(WechatPay {
            mchid: loaded.mchid,
            appid: loaded.appid,
            merchant_serial_no: loaded.merchant_serial_no,
            private_key: loaded.private_key,
            api_v3_key: loaded.api_v3_key,
            verifiers: loaded.verifiers,
            base_url: loaded.base_url,
            notify_url: notify_url.to_owned(),
            http,
            rng: SystemRandom::new(),
        })
    }

    /// Sends one signed request and verifies the answer's signature. Returns the
    /// status and the verified body, whatever the status.
    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), ProviderError> {
        let body = match body {
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let nonce = sign::nonce(&self.rng).map_err(ProviderError::Failed)?;
        let authorization = sign::authorization(
            &self.private_key,
            &self.rng,
            &self.mchid,
            &self.merchant_serial_no,
            method.as_str(),
            path,
            Timestamp::now().as_second(),
            &nonce,
            &body,
        )
        .map_err(ProviderError::Failed)?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{}", self.base_url, path))
            .header(http::header::AUTHORIZATION, authorization)
            .header(http::header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport)?;
        if let Err(why) = sign::verify(&self.verifiers, &headers, &bytes) {
            tracing::warn!(%method, path, status, ?why, "wechat pay: answer does not verify");
            return Err(ProviderError::Failed(format!(
                "the answer (HTTP {status}) does not carry a valid WeChat Pay signature: {why:?}"
            )));
        }
        Ok((status, bytes.to_vec()))
    }

    fn refused(status: u16, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(e) => ProviderError::Rejected {
                code: e.code,
                message: e.message,
            },
            Err(_) => ProviderError::Failed(format!("HTTP {status} without an error body")),
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ProviderError> {
        serde_json::from_slice(body)
            .map_err(|e| ProviderError::Failed(format!("unexpected answer: {e}")))
    }

    fn refund_outcome(refund_no: &str, body: &[u8]) -> Result<RefundOutcome, ProviderError> {
        let r: Refund = Self::parse(body)?;
        if r.out_refund_no != refund_no {
            return Err(ProviderError::Failed(
                "the answer is about another refund".to_owned(),
            ));
        }
        let state = match r.status.as_str() {
            "PROCESSING" => RefundState::Processing,
            "SUCCESS" => RefundState::Succeeded,
            "CLOSED" => RefundState::Closed,
            "ABNORMAL" => RefundState::Abnormal,
            other => {
                return Err(ProviderError::Failed(format!(
                    "unknown refund status {other}"
                )));
            }
        };
        Ok(RefundOutcome {
            state,
            provider_refund_id: r.refund_id,
        })
    }
}

fn transport(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Failed(e.without_url().to_string())
    }
}

/// Path segments we build from our own trade and refund numbers: WeChat allows
/// letters, digits and `_-|*@` in them; anything else is refused before sending.
fn segment(no: &str) -> Result<&str, ProviderError> {
    if !no.is_empty()
        && no.len() <= 64
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-|*@".contains(&b))
    {
        Ok(no)
    } else {
        Err(ProviderError::Failed(format!(
            "{no:?} is not a valid WeChat Pay out_trade_no / out_refund_no"
        )))
    }
}

/// RFC 3339 in China time, as `time_expire` wants it: 2026-11-21T10:34:56+08:00.
fn china_time(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

pub(crate) fn trade_state(
    state: &str,
    transaction_id: Option<String>,
    amount: Option<i64>,
) -> Result<TradeState, String> {
    Ok(match state {
        "SUCCESS" => TradeState::Paid {
            transaction_id: transaction_id
                .filter(|t| !t.is_empty())
                .ok_or("a paid trade without transaction_id")?,
            amount: Fen(amount.ok_or("a paid trade without amount")?),
        },
        "NOTPAY" | "USERPAYING" => TradeState::NotPaid,
        "CLOSED" | "REVOKED" | "PAYERROR" => TradeState::Closed,
        "REFUND" => TradeState::Refunded,
        other => return Err(format!("unknown trade_state {other}")),
    })
}

impl Provider for WechatPay {
    fn name(&self) -> &'static str {
        "wechat"
    }

    fn merchant(&self) -> String {
        merchant(&self.mchid, &self.appid)
    }

    fn create<'a>(
        &'a self,
        trade: &'a NewTrade<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let out_trade_no = segment(trade.out_trade_no)?;
            let body = json!({
                "appid": self.appid,
                "mchid": self.mchid,
                "description": trade.description,
                "out_trade_no": out_trade_no,
                "time_expire": china_time(trade.expires_at),
                "notify_url": self.notify_url,
                "amount": { "total": trade.amount.0, "currency": "CNY" },
            });
            let (status, body) = self
                .call(
                    http::Method::POST,
                    "/v3/pay/transactions/native",
                    Some(body),
                )
                .await?;
            if status != 200 {
                return Err(Self::refused(status, &body));
            }
            #[derive(Deserialize)]
            struct Created {
                code_url: String,
            }
            let created: Created = Self::parse(&body)?;
            tracing::info!(out_trade_no, "wechat pay: trade opened");
            Ok(created.code_url)
        })
    }

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, ProviderError>> {
        Box::pin(async move {
            let no = segment(out_trade_no)?;
            let path = format!(
                "/v3/pay/transactions/out-trade-no/{no}?mchid={}",
                self.mchid
            );
            let (status, body) = self.call(http::Method::GET, &path, None).await?;
            if status != 200 {
                return Err(match Self::refused(status, &body) {
                    ProviderError::Rejected { code, .. }
                        if status == 404 && code == "ORDER_NOT_EXIST" =>
                    {
                        ProviderError::UnknownTrade
                    }
                    other => other,
                });
            }
            let t: Transaction = Self::parse(&body)?;
            if t.out_trade_no != out_trade_no {
                return Err(ProviderError::Failed(
                    "the answer is about another trade".to_owned(),
                ));
            }
            trade_state(&t.trade_state, t.transaction_id, t.amount.map(|a| a.total))
                .map_err(ProviderError::Failed)
        })
    }

    fn close<'a>(&'a self, out_trade_no: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let no = segment(out_trade_no)?;
            let path = format!("/v3/pay/transactions/out-trade-no/{no}/close");
            let (status, body) = self
                .call(
                    http::Method::POST,
                    &path,
                    Some(json!({ "mchid": self.mchid })),
                )
                .await?;
            match status {
                200 | 204 => {
                    tracing::info!(out_trade_no, "wechat pay: trade closed");
                    Ok(())
                }
                _ => Err(Self::refused(status, &body)),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(async move {
            let body = json!({
                "out_trade_no": segment(refund.out_trade_no)?,
                "out_refund_no": segment(refund.refund_no)?,
                "reason": refund.reason,
                "notify_url": self.notify_url,
                "amount": {
                    "refund": refund.amount.0,
                    "total": refund.total.0,
                    "currency": "CNY",
                },
            });
            let (status, body) = self
                .call(
                    http::Method::POST,
                    "/v3/refund/domestic/refunds",
                    Some(body),
                )
                .await?;
            if status != 200 {
                return Err(Self::refused(status, &body));
            }
            let outcome = Self::refund_outcome(refund.refund_no, &body)?;
            tracing::info!(
                out_trade_no = refund.out_trade_no,
                refund_no = refund.refund_no,
                state = outcome.state.as_str(),
                "wechat pay: refund asked"
            );
            Ok(outcome)
        })
    }

    fn query_refund<'a>(
        &'a self,
        _out_trade_no: &'a str,
        refund_no: &'a str,
    ) -> BoxFuture<'a, Result<RefundOutcome, ProviderError>> {
        Box::pin(async move {
            let path = format!("/v3/refund/domestic/refunds/{}", segment(refund_no)?);
            let (status, body) = self.call(http::Method::GET, &path, None).await?;
            if status != 200 {
                return Err(Self::refused(status, &body));
            }
            Self::refund_outcome(refund_no, &body)
        })
    }

    fn verify_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Notice, NoticeError> {
        notice::verify(
            &self.verifiers,
            &self.api_v3_key,
            &self.mchid,
            headers,
            body,
            now,
        )
    }

    fn acknowledge(&self, accepted: bool) -> Ack {
        if accepted {
            Ack {
                status: 200,
                content_type: "application/json",
                body: String::new(),
            }
        } else {
            Ack {
                status: 400,
                content_type: "application/json",
                body: json!({ "code": "FAIL", "message": "失败" }).to_string(),
            }
        }
    }
}

/// How a merchant and app are written in [`Notice::Trade`] and by [`Provider::merchant`].
fn merchant(mchid: &str, appid: &str) -> String {
    format!("{mchid}/{appid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expire_is_written_in_china_time() {
        let t: Timestamp = "2026-11-21T02:34:56Z".parse().unwrap();
        assert_eq!(china_time(t), "2026-11-21T10:34:56+08:00");
    }

    #[test]
    fn every_trade_state_wechat_reports_is_read() {
        let paid = trade_state("SUCCESS", Some("4200".into()), Some(100)).unwrap();
        assert_eq!(
            paid,
            TradeState::Paid {
                transaction_id: "4200".into(),
                amount: Fen(100)
            }
        );
        for (s, want) in [
            ("NOTPAY", TradeState::NotPaid),
            ("USERPAYING", TradeState::NotPaid),
            ("CLOSED", TradeState::Closed),
            ("REVOKED", TradeState::Closed),
            ("PAYERROR", TradeState::Closed),
            ("REFUND", TradeState::Refunded),
        ] {
            assert_eq!(trade_state(s, None, Some(1)).unwrap(), want, "{s}");
        }
        assert!(trade_state("SUCCESS", None, Some(1)).is_err());
        assert!(trade_state("PAID", None, None).is_err());
    }

    #[test]
    fn only_protocol_safe_numbers_go_into_paths() {
        assert!(segment("202611210001-1_a").is_ok());
        for bad in ["", "a/b", "a?b", "a b", "订单", &"1".repeat(65)] {
            assert!(segment(bad).is_err(), "{bad}");
        }
    }
}
