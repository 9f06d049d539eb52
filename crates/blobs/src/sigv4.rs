//! AWS Signature Version 4, the part of it that S3 object requests without a query string need.
//!
//! Signing is a pure function of the request and the time, so it is tested against the worked
//! examples in the S3 documentation and, through the backend tests, against a server that
//! checks every signature (moto with authentication on).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Who signs, and for which region.
pub(crate) struct Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) region: String,
}

/// The time of signing in the two spellings SigV4 uses: `20130524T000000Z` and `20130524`.
pub(crate) struct SigningTime {
    pub(crate) amz_date: String,
}

impl SigningTime {
    pub(crate) fn now() -> Self {
        SigningTime::at(jiff::Timestamp::now())
    }

    pub(crate) fn at(time: jiff::Timestamp) -> Self {
        SigningTime {
            amz_date: time.strftime("%Y%m%dT%H%M%SZ").to_string(),
        }
    }

    fn date(&self) -> &str {
        &self.amz_date[..8]
    }
}

/// The hex SHA-256 of an empty body, sent with GET and HEAD.
pub(crate) const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The `Authorization` header value for a request.
///
/// `path` is the request path exactly as sent (already escaped, if escaping were needed);
/// `headers` are the signed headers with lowercase names, sorted by name, and must include
/// `host`, `x-amz-content-sha256` and `x-amz-date`.
pub(crate) fn authorization(
    credentials: &Credentials,
    time: &SigningTime,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
) -> String {
    let scope = format!("{}/{}/s3/aws4_request", time.date(), credentials.region);
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        time.amz_date,
        hex::encode(Sha256::digest(canonical_request(
            method,
            path,
            headers,
            payload_sha256
        )))
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        time.date(),
    );
    for part in [credentials.region.as_str(), "s3", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex::encode(hmac(&key, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed_headers},Signature={signature}",
        credentials.access_key_id
    )
}

fn canonical_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
) -> String {
    let mut canonical = format!("{method}\n{path}\n\n");
    for (name, value) in headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value.trim());
        canonical.push('\n');
    }
    canonical.push('\n');
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    canonical.push_str(&signed_headers);
    canonical.push('\n');
    canonical.push_str(payload_sha256);
    canonical
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC is defined for keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn example_credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            region: "us-east-1".to_owned(),
        }
    }

    fn example_time() -> SigningTime {
        SigningTime::at("2013-05-24T00:00:00Z".parse().unwrap())
    }

    /// "Example: GET Object" in the S3 API reference, "Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk".
    #[test]
    fn matches_the_documented_get_object_example() {
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        assert_eq!(
            hex::encode(Sha256::digest(canonical_request(
                "GET",
                "/test.txt",
                &headers,
                EMPTY_PAYLOAD_SHA256
            ))),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            authorization(
                &example_credentials(),
                &example_time(),
                "GET",
                "/test.txt",
                &headers,
                EMPTY_PAYLOAD_SHA256
            ),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn signing_time_is_utc() {
        let time = SigningTime::at("2026-01-31T23:59:58Z".parse().unwrap());
        assert_eq!(time.amz_date, "20260131T235958Z");
        assert_eq!(time.date(), "20260131");
    }
}
