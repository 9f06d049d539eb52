//! The certdesk server as the USB-key tool sees it: a few JSON calls over HTTP, made one at
//! a time on a small runtime (the token work around them is synchronous).

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{Failure, fail};

/// The personal API token comes from the environment (or a file), never from a flag.
pub const API_TOKEN_ENV: &str = "CERTDESK_API_TOKEN";

pub struct Server {
    base: String,
    bearer: Option<Zeroizing<String>>,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// What the server answered, when it was not a success: its status and the message of its
/// error envelope.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn into_failure(self) -> Failure {
        fail(format!("服务器拒绝：{}", self.message))
    }
}

/// A call that did not get an answer (network), or got a refusal.
pub enum CallError {
    Network(String),
    Refused(Refusal),
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        match e {
            CallError::Network(m) => fail(m),
            CallError::Refused(r) => r.into_failure(),
        }
    }
}

impl Server {
    pub fn new(base: &str, bearer: Option<Zeroizing<String>>) -> Result<Server, Failure> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(fail(format!(
                "服务器地址应以 http:// 或 https:// 开头：{base}"
            )));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("无法启动网络运行时：{e}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| fail(format!("无法创建 HTTP 客户端：{e}")))?;
        Ok(Server {
            base,
            bearer,
            runtime,
            client,
        })
    }

    /// The same server, calling with another bearer token (a session opened by login).
    pub fn with_bearer(mut self, bearer: Zeroizing<String>) -> Server {
        self.bearer = Some(bearer);
        self
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Accept-Language", "zh-CN");
        if let Some(b) = &self.bearer {
            r = r.bearer_auth(b.as_str());
        }
        r
    }

    fn send(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>), CallError> {
        let base = &self.base;
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| {
                CallError::Network(format!(
                    "无法连接服务器 {base}：{}",
                    if e.is_timeout() {
                        "等待应答超时".to_owned()
                    } else {
                        e.to_string()
                    }
                ))
            })?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| CallError::Network(format!("服务器 {base} 的应答中断：{e}")))?;
            Ok((status, body.to_vec()))
        })
    }

    fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, CallError> {
        if !status.is_success() {
            let envelope: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            let detail = envelope.as_ref().and_then(|v| v.get("error"));
            let text = |k: &str| {
                detail
                    .and_then(|d| d.get(k))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            };
            let mut message = text("message").unwrap_or_else(|| format!("HTTP {status}"));
            if let Some(fields) = detail
                .and_then(|d| d.get("fields"))
                .and_then(|f| f.as_array())
            {
                for f in fields {
                    if let Some(m) = f.get("message").and_then(|m| m.as_str()) {
                        message.push_str(&format!("（{m}）"));
                    }
                }
            }
            if status == StatusCode::UNAUTHORIZED {
                message = format!(
                    "{message}：个人令牌无效、已过期或已吊销，请在“个人令牌”页面重新创建，并放入环境变量 {API_TOKEN_ENV}"
                );
            }
            return Err(CallError::Refused(Refusal { status, message }));
        }
        serde_json::from_slice(body)
            .map_err(|e| CallError::Network(format!("服务器的应答无法识别：{e}")))
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        let (status, body) = self.send(self.request(reqwest::Method::GET, path))?;
        Self::decode(status, &body)
    }

    /// A GET of a file (a certificate, a chain, an image).
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, CallError> {
        let (status, body) = self.send(self.request(reqwest::Method::GET, path))?;
        if status.is_success() {
            Ok(body)
        } else {
            Self::decode::<serde_json::Value>(status, &body).map(|_| Vec::new())
        }
    }

    /// A POST of JSON; the answer's status (some calls answer 202 while waiting) and body.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(StatusCode, T), CallError> {
        let (status, raw) = self.send(self.request(reqwest::Method::POST, path).json(body))?;
        Self::decode(status, &raw).map(|v| (status, v))
    }
}

/// The personal API token: from `--api-token-file`, else CERTDESK_API_TOKEN.
pub fn api_token(file: Option<&std::path::Path>) -> Result<Zeroizing<String>, Failure> {
    if let Some(path) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| fail(format!("无法读取个人令牌文件 {}：{e}", path.display())))?,
        );
        return Ok(Zeroizing::new(
            text.lines().next().unwrap_or_default().trim().to_owned(),
        ));
    }
    match std::env::var(API_TOKEN_ENV) {
        Ok(t) if !t.trim().is_empty() => Ok(Zeroizing::new(t.trim().to_owned())),
        _ => Err(fail(format!(
            "需要个人令牌：请在 certdesk 网页的“个人令牌”页面创建（勾选所需权限），放入环境变量 {API_TOKEN_ENV}，或用 --api-token-file 指定保存令牌的文件"
        ))),
    }
}
