//! `[payments.wechat]`: what the merchant platform gives a deployment, and reading
//! the keys it names. Secrets live in files or the environment, never in the config.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_lc_rs::signature::RsaKeyPair;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::ConfigError;

pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// The settings under `[payments.wechat]`. Every field may be left out of the
/// config so that [`super::WechatPay::from_settings`] can name what is missing.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// 商户号.
    pub mchid: String,
    /// The AppID bound to the merchant (公众号 / 小程序 / 移动应用).
    pub appid: String,
    /// 商户API证书序列号: names our key to WeChat in each request.
    pub merchant_serial_no: String,
    /// apiclient_key.pem: the merchant's RSA private key (PKCS#8 PEM, 2048 bits or more).
    pub private_key_file: PathBuf,
    /// A file holding the APIv3 key (32 ASCII characters). Exactly one of this and
    /// `api_v3_key_env`.
    pub api_v3_key_file: Option<PathBuf>,
    /// The name of an environment variable holding the APIv3 key.
    pub api_v3_key_env: Option<String>,
    /// 微信支付公钥ID (`PUB_KEY_ID_…`), with `public_key_file`.
    pub public_key_id: Option<String>,
    /// 微信支付公钥 (pub_key.pem, a PEM `PUBLIC KEY`).
    pub public_key_file: Option<PathBuf>,
    /// 平台证书 PEM files; each one's serial number names it.
    pub platform_certificate_files: Vec<PathBuf>,
    pub base_url: String,
    pub timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mchid: String::new(),
            appid: String::new(),
            merchant_serial_no: String::new(),
            private_key_file: PathBuf::new(),
            api_v3_key_file: None,
            api_v3_key_env: None,
            public_key_id: None,
            public_key_file: None,
            platform_certificate_files: Vec::new(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

/// What the settings come to once every file is read and every key parsed.
pub(super) struct Loaded {
    pub mchid: String,
    pub appid: String,
    pub merchant_serial_no: String,
    pub private_key: RsaKeyPair,
    pub api_v3_key: Zeroizing<Vec<u8>>,
    /// WeChat's verification keys by the serial (`Wechatpay-Serial`) that names them:
    /// a public key id or a platform certificate's serial number. DER, either form.
    pub verifiers: HashMap<String, Vec<u8>>,
    pub base_url: String,
    pub timeout: Duration,
}

fn setting(field: &str) -> String {
    format!("payments.wechat.{field}")
}

fn err(field: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::new(setting(field), reason)
}

fn required<'a>(field: &str, value: &'a str) -> Result<&'a str, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(err(field, "missing"));
    }
    Ok(v)
}

fn read(field: &str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    if path.as_os_str().is_empty() {
        return Err(err(field, "missing"));
    }
    std::fs::read(path).map_err(|e| err(field, format!("cannot read {}: {e}", path.display())))
}

/// The PEM blocks of a file, as (label, DER).
fn pem_blocks(
    field: &str,
    path: &Path,
    text: &[u8],
) -> Result<Vec<(String, Vec<u8>)>, ConfigError> {
    let mut blocks = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(text) {
        let pem = pem.map_err(|e| err(field, format!("{} is not PEM: {e}", path.display())))?;
        blocks.push((pem.label, pem.contents));
    }
    if blocks.is_empty() {
        return Err(err(field, format!("{} holds no PEM block", path.display())));
    }
    Ok(blocks)
}

pub(super) fn load(s: &Settings) -> Result<Loaded, ConfigError> {
    let mchid = required("mchid", &s.mchid)?;
    if !mchid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("mchid", "a 商户号 has only digits"));
    }
    let appid = required("appid", &s.appid)?;
    let merchant_serial_no = required("merchant_serial_no", &s.merchant_serial_no)?;
    if !merchant_serial_no.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err(
            "merchant_serial_no",
            "a certificate serial number is written in hexadecimal",
        ));
    }

    let private_key = private_key(&s.private_key_file)?;
    let api_v3_key = api_v3_key(s)?;
    let verifiers = verifiers(s)?;

    let base_url = required("base_url", &s.base_url)?.trim_end_matches('/');
    let parsed = reqwest::Url::parse(base_url).map_err(|e| err("base_url", e))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.query().is_some() {
        return Err(err(
            "base_url",
            "expected an http(s) URL such as https://api.mch.weixin.qq.com",
        ));
    }
    if s.timeout_secs == 0 {
        return Err(err("timeout_secs", "must be at least 1"));
    }

    Ok(Loaded {
        mchid: mchid.to_owned(),
        appid: appid.to_owned(),
        merchant_serial_no: merchant_serial_no.to_ascii_uppercase(),
        private_key,
        api_v3_key,
        verifiers,
        base_url: base_url.to_owned(),
        timeout: Duration::from_secs(s.timeout_secs),
    })
}

fn private_key(path: &Path) -> Result<RsaKeyPair, ConfigError> {
    const F: &str = "private_key_file";
    let text = Zeroizing::new(read(F, path)?);
    let blocks = pem_blocks(F, path, &text)?;
    let Some((_, der)) = blocks.into_iter().find(|(label, _)| label == "PRIVATE KEY") else {
        return Err(err(
            F,
            "expected a PKCS#8 `PRIVATE KEY` PEM block (apiclient_key.pem)",
        ));
    };
    let der = Zeroizing::new(der);
    let key = RsaKeyPair::from_pkcs8(&der).map_err(|e| {
        if e.description_() == "TooSmall" {
            err(
                F,
                "an RSA key of fewer than 2048 bits (e.g. 1024); 2048 or more are needed",
            )
        } else {
            err(F, format!("not a PKCS#8 RSA private key: {e}"))
        }
    })?;
    if key.public_modulus_len() < 256 {
        return Err(err(
            F,
            format!(
                "an RSA key of {} bits; 2048 or more are needed",
                key.public_modulus_len() * 8
            ),
        ));
    }
    Ok(key)
}

fn api_v3_key(s: &Settings) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let (field, raw) = match (&s.api_v3_key_file, &s.api_v3_key_env) {
        (Some(_), Some(_)) => {
            return Err(err(
                "api_v3_key_file",
                "set exactly one of api_v3_key_file and api_v3_key_env",
            ));
        }
        (None, None) => {
            return Err(err(
                "api_v3_key_file",
                "missing: set api_v3_key_file or api_v3_key_env",
            ));
        }
        (Some(path), None) => (
            "api_v3_key_file",
            Zeroizing::new(read("api_v3_key_file", path)?),
        ),
        (None, Some(name)) => {
            let name = required("api_v3_key_env", name)?;
            let value = std::env::var(name).map_err(|_| {
                err(
                    "api_v3_key_env",
                    format!("the environment variable {name} is not set"),
                )
            })?;
            ("api_v3_key_env", Zeroizing::new(value.into_bytes()))
        }
    };
    // A trailing newline from an editor is not part of the key.
    let key = raw.trim_ascii();
    if key.len() != 32 || !key.iter().all(|b| b.is_ascii_graphic()) {
        // Never say what the key is, only what is wrong with it.
        return Err(err(
            field,
            format!(
                "an APIv3 key is 32 ASCII characters; this one has {} bytes",
                key.len()
            ),
        ));
    }
    Ok(Zeroizing::new(key.to_vec()))
}

fn check_rsa_public_key(field: &str, der: &[u8]) -> Result<(), ConfigError> {
    let bits = aws_lc_rs::rsa::PublicKey::from_der(der)
        .map_err(|e| err(field, format!("not an RSA public key: {e}")))?
        .modulus_len()
        * 8;
    if bits < 2048 {
        return Err(err(
            field,
            format!("an RSA key of {bits} bits; 2048 or more are expected"),
        ));
    }
    Ok(())
}

fn verifiers(s: &Settings) -> Result<HashMap<String, Vec<u8>>, ConfigError> {
    let mut keys = HashMap::new();
    match (&s.public_key_id, &s.public_key_file) {
        (Some(id), Some(path)) => {
            let id = required("public_key_id", id)?;
            const F: &str = "public_key_file";
            let text = read(F, path)?;
            let blocks = pem_blocks(F, path, &text)?;
            let Some((_, der)) = blocks.into_iter().find(|(label, _)| label == "PUBLIC KEY") else {
                return Err(err(F, "expected a `PUBLIC KEY` PEM block (pub_key.pem)"));
            };
            check_rsa_public_key(F, &der)?;
            keys.insert(id.to_owned(), der);
        }
        (Some(_), None) => return Err(err("public_key_file", "missing: public_key_id needs it")),
        (None, Some(_)) => return Err(err("public_key_id", "missing: public_key_file needs it")),
        (None, None) => {}
    }
    for path in &s.platform_certificate_files {
        const F: &str = "platform_certificate_files";
        let text = read(F, path)?;
        let certificates: Vec<Vec<u8>> = pem_blocks(F, path, &text)?
            .into_iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .collect();
        if certificates.is_empty() {
            return Err(err(F, format!("{} holds no CERTIFICATE", path.display())));
        }
        for der in certificates {
            let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| {
                err(
                    F,
                    format!("{}: not an X.509 certificate: {e}", path.display()),
                )
            })?;
            // WeChat names a platform certificate by its serial number in upper-case
            // hexadecimal without leading zeros (as Java's BigInteger.toString(16) does).
            let serial = cert.serial.to_str_radix(16).to_ascii_uppercase();
            let spki = cert.public_key().raw.to_vec();
            check_rsa_public_key(F, &spki)?;
            keys.insert(serial, spki);
        }
    }
    if keys.is_empty() {
        return Err(err(
            "public_key_file",
            "no key to verify WeChat Pay's signatures: set public_key_id and public_key_file \
             (微信支付公钥) or platform_certificate_files (平台证书)",
        ));
    }
    Ok(keys)
}
