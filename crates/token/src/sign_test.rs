//! 测试盖章: sign a test message with the token's key, verify the signature against the
//! installed certificate, check the certificate chains to its installed issuer, and ask
//! the OCSP responder named in the certificate.

use jiff::Timestamp;
use pki::ocsp_client::{OcspClientError, OcspQuery, OcspStatus};
use pki::{PublicKey, Signer};
use serde::Serialize;

use crate::certificate::Parsed;
use crate::{Token, TokenError};

/// What the OCSP responder said, or why it could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OcspOutcome {
    /// Not asked (`--no-ocsp`).
    Skipped,
    /// The certificate names no OCSP responder.
    NoResponder,
    /// No issuer certificate on the token to build the request with.
    NoIssuer,
    Good,
    Revoked {
        at: Timestamp,
        /// CRLReason code, if the responder gave one.
        reason: Option<u8>,
    },
    Unknown,
    /// The responder could not be reached, or its answer is not to be trusted.
    Failed {
        message: String,
    },
}

impl OcspOutcome {
    /// The outcome in words, for the person at the key.
    pub fn describe(&self) -> String {
        match self {
            OcspOutcome::Skipped => "未查询".into(),
            OcspOutcome::NoResponder => "证书中没有 OCSP 地址，未查询".into(),
            OcspOutcome::NoIssuer => "USB-KEY 中没有签发者证书，无法查询".into(),
            OcspOutcome::Good => "有效（good）".into(),
            OcspOutcome::Revoked { at, reason } => {
                let at = at.to_zoned(
                    jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC),
                );
                format!(
                    "已吊销（revoked），吊销时间 {}，原因：{}",
                    at.strftime("%Y-%m-%d %H:%M:%S"),
                    reason_text(*reason)
                )
            }
            OcspOutcome::Unknown => "未知（unknown）：签发机构不认识这张证书".into(),
            OcspOutcome::Failed { message } => format!("查询失败：{message}"),
        }
    }
}

fn reason_text(reason: Option<u8>) -> &'static str {
    match reason {
        None | Some(0) => "未说明",
        Some(1) => "密钥泄露",
        Some(2) => "CA 密钥泄露",
        Some(3) => "单位信息变更",
        Some(4) => "已被新证书取代",
        Some(5) => "停止使用",
        Some(6) => "证书冻结",
        Some(9) => "权限撤销",
        Some(_) => "其他",
    }
}

/// The result of a 测试盖章.
#[derive(Debug, Clone, Serialize)]
pub struct SignTest {
    pub key_id: String,
    pub certificate_serial: String,
    pub subject_cn: Option<String>,
    /// The signature made on the token verifies under the certificate's public key.
    pub signature_ok: bool,
    /// The certificate's signature verifies under an issuer certificate on the token.
    pub chain_ok: bool,
    /// The certificate is within its validity period now.
    pub time_ok: bool,
    pub ocsp: OcspOutcome,
}

impl SignTest {
    /// Signature, chain and validity hold, and the responder (if asked) said good.
    pub fn passed(&self) -> bool {
        self.signature_ok
            && self.chain_ok
            && self.time_ok
            && matches!(
                self.ocsp,
                OcspOutcome::Good | OcspOutcome::Skipped | OcspOutcome::NoResponder
            )
    }
}

/// How an OCSP request travels: POST `request` (DER) to `url`, return the response body.
pub type OcspFetch<'a> = &'a dyn Fn(&str, &[u8]) -> Result<Vec<u8>, String>;

/// Signs `message` with the key, verifies it against the key's newest certificate, checks
/// that certificate against an issuer certificate on the token, and, given `fetch`, asks
/// the OCSP responder of the certificate's AIA.
pub fn sign_test(
    token: &Token,
    key_id: &[u8],
    message: &[u8],
    fetch: Option<OcspFetch<'_>>,
) -> Result<SignTest, TokenError> {
    let key = token.key(&hex::encode(key_id))?;
    let cert_der = token
        .certificate(&key.info().id)?
        .ok_or(TokenError::NoCertificate)?;
    let cert = Parsed::parse(&cert_der)?;
    let cert_key = PublicKey::from_spki_der(&cert.spki_der)
        .map_err(|e| TokenError::BadCertificate(e.to_string()))?;
    let signature = key.sign(message).map_err(|e| TokenError::Sign(e.0))?;
    let signature_ok = cert_key.verify(message, &signature).is_ok();

    let issuer = token.authority_certificates()?.into_iter().find(|der| {
        Parsed::parse(der).is_ok_and(|p| {
            p.subject_der == cert.issuer_der
                && PublicKey::from_spki_der(&p.spki_der)
                    .is_ok_and(|k| k.verify_certificate(&cert_der).is_ok())
        })
    });
    let now = Timestamp::now();
    let time_ok = cert.not_before <= now && now <= cert.not_after;

    let ocsp = match (fetch, &issuer, &cert.ocsp_url) {
        (None, _, _) => OcspOutcome::Skipped,
        (Some(_), _, None) => OcspOutcome::NoResponder,
        (Some(_), None, Some(_)) => OcspOutcome::NoIssuer,
        (Some(fetch), Some(issuer), Some(url)) => ask(fetch, url, &cert_der, issuer, now),
    };
    Ok(SignTest {
        key_id: key.info().id_hex(),
        certificate_serial: cert.serial_hex,
        subject_cn: cert.subject.cn,
        signature_ok,
        chain_ok: issuer.is_some(),
        time_ok,
        ocsp,
    })
}

fn ask(
    fetch: OcspFetch<'_>,
    url: &str,
    cert_der: &[u8],
    issuer_der: &[u8],
    now: Timestamp,
) -> OcspOutcome {
    let mut nonce = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut nonce).is_err() {
        return OcspOutcome::Failed {
            message: "无法生成随机数".into(),
        };
    }
    let query = match OcspQuery::new(cert_der, issuer_der, Some(&nonce)) {
        Ok(q) => q,
        Err(e) => return failed(&e),
    };
    let response = match fetch(url, query.request_der()) {
        Ok(r) => r,
        Err(e) => {
            return OcspOutcome::Failed {
                message: format!("无法连接 OCSP 服务 {url}（{e}），请检查网络后重试"),
            };
        }
    };
    match query.check(&response, now) {
        Ok(answer) => match answer.status {
            OcspStatus::Good => OcspOutcome::Good,
            OcspStatus::Revoked { at, reason } => OcspOutcome::Revoked { at, reason },
            OcspStatus::Unknown => OcspOutcome::Unknown,
        },
        Err(e) => failed(&e),
    }
}

fn failed(e: &OcspClientError) -> OcspOutcome {
    let message = match e {
        OcspClientError::Refused(code) => format!("OCSP 服务拒绝了查询（状态码 {code}）"),
        OcspClientError::BadSignature => "OCSP 应答的签名无法验证，结果不可信".into(),
        OcspClientError::WrongCertificate => "OCSP 应答说的不是这张证书".into(),
        OcspClientError::NonceMismatch => "OCSP 应答与查询不对应（nonce 不一致）".into(),
        OcspClientError::Stale => "OCSP 应答已过期或时间不对，请检查本机时间".into(),
        OcspClientError::Malformed(_) | OcspClientError::BadCertificate(_) => {
            format!("OCSP 应答无法解析（{e}）")
        }
    };
    OcspOutcome::Failed { message }
}
