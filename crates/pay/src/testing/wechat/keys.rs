//! Keys, PEM and a minimal 平台证书 for the fake gateway, written apart from the
//! client's code on purpose.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

pub(super) fn random_bytes<const N: usize>(rng: &SystemRandom) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill(&mut b).expect("randomness");
    b
}

pub(super) fn random_alnum(rng: &SystemRandom, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    rng.fill(&mut bytes).expect("randomness");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

pub(super) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

pub(super) fn generate_key() -> RsaKeyPair {
    RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation")
}

pub(super) fn pkcs8(key: &RsaKeyPair) -> Vec<u8> {
    let der: Pkcs8V1Der<'static> = key.as_der().expect("PKCS#8");
    der.as_ref().to_vec()
}

pub(super) fn spki(key: &RsaKeyPair) -> Vec<u8> {
    let der: PublicKeyX509Der<'static> = key.public_key().as_der().expect("SPKI");
    der.as_ref().to_vec()
}

pub(super) fn rsa_sign(key: &RsaKeyPair, rng: &SystemRandom, message: &[u8]) -> String {
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
pub(super) fn platform_certificate(key: &RsaKeyPair, rng: &SystemRandom, serial: &[u8]) -> Vec<u8> {
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
