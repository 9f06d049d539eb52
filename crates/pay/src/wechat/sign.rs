//! WECHATPAY2-SHA256-RSA2048: our signature on requests, WeChat's on answers and
//! notifications, and the AEAD_AES_256_GCM envelope of notification resources.

use std::collections::HashMap;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// 32 upper-case hexadecimal characters.
pub fn nonce(rng: &SystemRandom) -> Result<String, String> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes)
        .map_err(|_| "no randomness".to_owned())?;
    Ok(hex::encode_upper(bytes))
}

/// The `Authorization` header for one request. `path` carries the query, if any.
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    key: &RsaKeyPair,
    rng: &SystemRandom,
    mchid: &str,
    serial_no: &str,
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> Result<String, String> {
    let message = format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n");
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, rng, message.as_bytes(), &mut signature)
        .map_err(|_| "signing failed".to_owned())?;
    Ok(format!(
        "{SCHEME} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{}\",timestamp=\"{timestamp}\",serial_no=\"{serial_no}\"",
        B64.encode(signature)
    ))
}

/// Why WeChat's signature on a message was not accepted.
#[derive(Debug)]
pub enum Unverified {
    /// A `Wechatpay-*` header is missing or unreadable.
    Missing(&'static str),
    UnknownKey(String),
    BadSignature,
}

/// The signed headers of an answer or notification, checked.
pub struct Verified {
    pub timestamp: i64,
}

fn header<'h>(headers: &'h http::HeaderMap, name: &'static str) -> Result<&'h str, Unverified> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Unverified::Missing(name))
}

/// Checks `Wechatpay-Signature` over `timestamp\nnonce\nbody\n` with the key the
/// `Wechatpay-Serial` header names.
pub fn verify(
    keys: &HashMap<String, Vec<u8>>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Verified, Unverified> {
    let timestamp = header(headers, "Wechatpay-Timestamp")?;
    let nonce = header(headers, "Wechatpay-Nonce")?;
    let signature = header(headers, "Wechatpay-Signature")?;
    let serial = header(headers, "Wechatpay-Serial")?;
    let parsed_ts: i64 = timestamp
        .parse()
        .map_err(|_| Unverified::Missing("Wechatpay-Timestamp"))?;
    let Some(key) = keys.get(serial) else {
        return Err(Unverified::UnknownKey(serial.to_owned()));
    };
    let signature = B64
        .decode(signature)
        .map_err(|_| Unverified::BadSignature)?;
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
        .verify(&message, &signature)
        .map_err(|_| Unverified::BadSignature)?;
    Ok(Verified {
        timestamp: parsed_ts,
    })
}

/// Opens an AEAD_AES_256_GCM resource: base64 ciphertext with the 16-byte tag appended.
pub fn decrypt(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let key = UnboundKey::new(&AES_256_GCM, api_v3_key).map_err(|_| "bad APIv3 key".to_owned())?;
    let key = LessSafeKey::new(key);
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| "the nonce is not 12 bytes".to_owned())?;
    let mut data = zeroize::Zeroizing::new(
        B64.decode(ciphertext_b64)
            .map_err(|_| "the ciphertext is not base64".to_owned())?,
    );
    let plain_len = key
        .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| "the resource does not decrypt with the APIv3 key".to_owned())?
        .len();
    data.truncate(plain_len);
    Ok(data)
}
