//! Keys and signatures as Alipay's open platform uses them (自行实现签名): RSA2, that is
//! SHA256withRSA (PKCS#1 v1.5), over a canonical `k=v&k=v` text, carried in base64.
//!
//! Shared by the client and by the fake gateway (`testing::alipay`), so both sides sign
//! and check one canonical text; the tests then prove the two agree with each other,
//! and the key formats with the ones Alipay's key tool writes.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{self, TimeZone};
use zeroize::Zeroizing;

/// Alipay's times (`timestamp`, `notify_time`, `time_expire`) are wall-clock times in
/// China, written `yyyy-MM-dd HH:mm:ss`.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn china() -> TimeZone {
    // The bundled database has it; China keeps +08:00 all year, so the fixed offset
    // is the same zone should the lookup ever fail.
    TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(tz::offset(8)))
}

/// `2026-11-21 10:00:00` for the instant, in Asia/Shanghai.
pub(crate) fn china_time(at: Timestamp) -> String {
    at.to_zoned(china()).strftime(TIME_FORMAT).to_string()
}

/// Reads a time written as [`china_time`] writes it.
pub(crate) fn parse_china_time(text: &str) -> Option<Timestamp> {
    let civil = DateTime::strptime(TIME_FORMAT, text.trim()).ok()?;
    civil.to_zoned(china()).ok().map(|z| z.timestamp())
}

/// The text that is signed: parameters sorted by name (byte order), those with an
/// empty value and those named in `leave_out` left out, each written `name=value`
/// (values as they are, not URL-encoded), joined with `&`.
pub(crate) fn sign_content<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    leave_out: &[&str],
) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !leave_out.contains(k))
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// An RSA private key that signs with RSA2: the app's (应用私钥) in the client, and
/// Alipay's own in the fake gateway.
pub(crate) struct SigningKey(KeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    #[cfg(feature = "testing")]
    pub(crate) fn new(key: KeyPair) -> SigningKey {
        SigningKey(key)
    }

    /// Reads an RSA private key of at least 2048 bits: PEM `PRIVATE KEY` (PKCS#8) or
    /// `RSA PRIVATE KEY` (PKCS#1), or the bare base64 Alipay's key tool writes (either).
    pub(crate) fn from_pem(text: &str) -> Result<SigningKey, String> {
        let (label, der) = pem_body(text)?;
        let der = Zeroizing::new(der);
        let key = match label.as_deref() {
            Some("PRIVATE KEY") => KeyPair::from_pkcs8(&der).map_err(|e| e.to_string()),
            Some("RSA PRIVATE KEY") => KeyPair::from_der(&der).map_err(|e| e.to_string()),
            Some("ENCRYPTED PRIVATE KEY") => {
                return Err("the key is encrypted: give it unencrypted (PKCS#8 or PKCS#1)".into());
            }
            Some(other) => return Err(format!("a PEM `{other}` is not an RSA private key")),
            None => KeyPair::from_pkcs8(&der)
                .or_else(|_| KeyPair::from_der(&der))
                .map_err(|e| e.to_string()),
        }
        .map_err(|e| format!("not an RSA private key of 2048 bits or more ({e})"))?;
        if key.public_modulus_len() < 256 {
            return Err("the RSA key is shorter than 2048 bits".into());
        }
        Ok(SigningKey(key))
    }

    /// The base64 RSA2 signature of `content`.
    pub(crate) fn sign(&self, content: &str) -> Result<String, String> {
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                content.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "RSA signing failed".to_string())?;
        Ok(BASE64.encode(sig))
    }
}

/// An RSA public key that checks RSA2 signatures: Alipay's (支付宝公钥) in the client,
/// the app's in the fake gateway.
#[derive(Clone)]
pub(crate) struct VerifyingKey(ParsedPublicKey);

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey(..)")
    }
}

impl VerifyingKey {
    /// From DER: SubjectPublicKeyInfo or PKCS#1 RSAPublicKey.
    pub(crate) fn from_der(der: &[u8]) -> Result<VerifyingKey, String> {
        ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map(VerifyingKey)
            .map_err(|e| format!("not an RSA public key of 2048 bits or more ({e})"))
    }

    /// Reads PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1), or the bare base64
    /// the open platform shows as 支付宝公钥.
    pub(crate) fn from_pem(text: &str) -> Result<VerifyingKey, String> {
        let (label, der) = pem_body(text)?;
        match label.as_deref() {
            None | Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") => VerifyingKey::from_der(&der),
            Some("CERTIFICATE") => Err(
                "a certificate (公钥证书模式) is not supported: give the 支付宝公钥 (PUBLIC KEY)"
                    .into(),
            ),
            Some(other) => Err(format!("a PEM `{other}` is not an RSA public key")),
        }
    }

    /// Whether `sign` (base64) is a good RSA2 signature of `content`.
    pub(crate) fn verify(&self, content: &str, sign: &str) -> bool {
        let Ok(sig) = BASE64.decode(sign.trim()) else {
            return false;
        };
        self.0.verify_sig(content.as_bytes(), &sig).is_ok()
    }
}

/// The label and the decoded body of the first PEM block, or (no label) the whole
/// text read as base64 when it has no PEM armour.
fn pem_body(text: &str) -> Result<(Option<String>, Vec<u8>), String> {
    let mut label = None;
    let mut body = Zeroizing::new(String::new());
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            if label.is_some() {
                return Err("two BEGIN lines without an END".into());
            }
            label = Some(rest.trim_end_matches('-').trim().to_string());
            inside = true;
        } else if line.starts_with("-----END ") {
            if !inside {
                return Err("an END line without a BEGIN".into());
            }
            inside = false;
            break;
        } else if inside {
            if line.contains(':') {
                // RFC 1421 headers: `Proc-Type: 4,ENCRYPTED` means an encrypted key.
                return Err("the PEM has headers (an encrypted key?): give it unencrypted".into());
            }
            body.push_str(line);
        } else if label.is_none() && !line.is_empty() {
            body.push_str(line);
        }
    }
    if inside {
        return Err("the PEM has no END line".into());
    }
    if body.is_empty() {
        return Err("the file holds no key".into());
    }
    let der = BASE64
        .decode(body.as_bytes())
        .map_err(|_| "the key is neither PEM nor base64".to_string())?;
    Ok((label, der))
}

/// PEM armour around DER, 64 characters a line.
#[cfg(feature = "testing")]
pub(crate) fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_content_sorts_and_leaves_out_empty_values_and_the_named() {
        let params = [
            ("sign", "xyz"),
            ("method", "alipay.trade.query"),
            ("app_id", "2021000000000001"),
            ("notify_url", ""),
            ("biz_content", "{\"a\":\"b c\"}"),
            ("sign_type", "RSA2"),
        ];
        assert_eq!(
            sign_content(params, &["sign"]),
            "app_id=2021000000000001&biz_content={\"a\":\"b c\"}&method=alipay.trade.query&sign_type=RSA2"
        );
        assert_eq!(
            sign_content(params, &["sign", "sign_type"]),
            "app_id=2021000000000001&biz_content={\"a\":\"b c\"}&method=alipay.trade.query"
        );
    }

    #[test]
    fn china_time_is_utc_plus_eight_and_reads_back() {
        let at: Timestamp = "2026-11-21T02:03:04Z".parse().unwrap();
        assert_eq!(china_time(at), "2026-11-21 10:03:04");
        assert_eq!(parse_china_time("2026-11-21 10:03:04"), Some(at));
        assert_eq!(parse_china_time("2026-11-21T10:03:04"), None);
        assert_eq!(parse_china_time(""), None);
    }

    #[test]
    fn pem_body_reads_armoured_and_bare_base64() {
        let (label, der) =
            pem_body("-----BEGIN PUBLIC KEY-----\nAQID\nBA==\n-----END PUBLIC KEY-----\n").unwrap();
        assert_eq!(label.as_deref(), Some("PUBLIC KEY"));
        assert_eq!(der, vec![1, 2, 3, 4]);
        let (label, der) = pem_body("AQIDBA==\n").unwrap();
        assert_eq!(label, None);
        assert_eq!(der, vec![1, 2, 3, 4]);
        assert!(pem_body("").is_err());
        assert!(pem_body("-----BEGIN PUBLIC KEY-----\nAQID\n").is_err());
        assert!(pem_body("not base64 at all!").is_err());
    }
}
