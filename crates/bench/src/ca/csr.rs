//! PKCS#10 requests for the issuance benchmark: one fresh P-256 key per order, its CSR
//! signed by that key (`pki::SoftKey`). The `pki` crate parses CSRs but (being a CA) has
//! no reason to write them, so the few DER structures a request needs are written here.

use pki::{KeyAlgorithm, Signer as _, SoftKey};

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0c;
/// `[0] IMPLICIT SET OF Attribute`, empty: the request asks for no extensions.
const NO_ATTRIBUTES: &[u8] = &[0xa0, 0x00];
/// id-at-commonName (2.5.4.3), content bytes.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// A CSR (DER) for a new P-256 key, with `CN=<common_name>` as the requested subject (the
/// CA ignores it: the subject comes from the reviewed order).
pub fn p256_csr(common_name: &str) -> anyhow::Result<Vec<u8>> {
    let key = SoftKey::generate(KeyAlgorithm::EcdsaP256)?;
    let name = tlv(
        SEQUENCE,
        &[&tlv(
            SET,
            &[&tlv(
                SEQUENCE,
                &[
                    &tlv(OID, &[COMMON_NAME]),
                    &tlv(UTF8_STRING, &[common_name.as_bytes()]),
                ],
            )],
        )],
    );
    let info = tlv(
        SEQUENCE,
        &[
            &tlv(INTEGER, &[&[0]]),
            &name,
            key.public_key_der(),
            NO_ATTRIBUTES,
        ],
    );
    let signature = key.sign(&info)?;
    Ok(tlv(
        SEQUENCE,
        &[
            &info,
            key.algorithm().algorithm_identifier(),
            &tlv(BIT_STRING, &[&[0], &signature]),
        ],
    ))
}

/// PEM `CERTIFICATE REQUEST`, lines of 64.
pub fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + 80);
    out.push_str("-----BEGIN CERTIFICATE REQUEST-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE REQUEST-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_accepts_the_request_and_its_proof_of_possession() {
        let der = p256_csr("bench 1").unwrap();
        let csr = pki::Csr::parse(&der).unwrap();
        assert_eq!(csr.public_key().kind(), pki::KeyKind::EcP256);
        let pem = pem(&der);
        assert!(pki::Csr::parse(pem.as_bytes()).is_ok());
        // A flipped bit in the signed part breaks the proof of possession.
        let mut bad = der.clone();
        let i = bad.len() / 3;
        bad[i] ^= 1;
        assert!(pki::Csr::parse(&bad).is_err());
    }
}
