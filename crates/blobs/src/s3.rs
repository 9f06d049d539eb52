//! The S3-compatible backend: three kinds of request (HEAD, GET, PUT on one object), signed by
//! hand and sent with reqwest.
//!
//! Why not the `object_store` crate: its `aws` feature brings in a general client (listing,
//! multipart upload, retries, credential providers, XML parsing, chrono, CRC and MD5 code)
//! for a store that only ever reads and writes whole objects of at most a few megabytes, on a
//! two-core machine where build time counts. Signing one request kind is about a hundred lines,
//! is checked against the documented AWS examples, and the backend tests run against a server
//! that verifies every signature.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, IF_NONE_MATCH};
use reqwest::{Method, Response, StatusCode};

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::settings::S3Settings;
use crate::sigv4::{self, Credentials, EMPTY_PAYLOAD_SHA256, SigningTime};

/// A stalled connection must not hold an upload request forever; ten megabytes fit in two
/// minutes even on a poor line.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Pauses before the retries of a request that failed in a way S3 asks clients to retry
/// (500 InternalError, 503 SlowDown, 409 ConditionalRequestConflict, a refused connection).
/// Every request here may be repeated safely: reads change nothing, and a PUT writes the same
/// bytes under the same name.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(400),
    Duration::from_millis(1600),
];

fn worth_retrying(status: StatusCode) -> bool {
    matches!(status.as_u16(), 409 | 500 | 502 | 503 | 504)
}

pub(crate) struct S3Bucket {
    client: reqwest::Client,
    /// `https://host:port`, without a path.
    origin: String,
    /// The `Host` header, which is signed, so it is set by us rather than left to the client.
    host: String,
    /// `/<endpoint path>/<bucket>/<prefix>/`: every object path starts with it.
    objects_path: String,
    credentials: Credentials,
}

impl S3Bucket {
    pub(crate) fn open(settings: &S3Settings) -> Result<Self, BlobError> {
        let url = reqwest::Url::parse(&settings.endpoint).map_err(|error| {
            BlobError::Settings(format!(
                "s3 endpoint {:?} is not a URL: {error}",
                settings.endpoint
            ))
        })?;
        match url.scheme() {
            "https" => {}
            "http" if settings.allow_http => {}
            "http" => {
                return Err(BlobError::Settings(
                    "s3 endpoint uses plain http, which sends documents unencrypted; \
                     use https, or set allow_http = true for a server on this host"
                        .to_owned(),
                ));
            }
            other => {
                return Err(BlobError::Settings(format!(
                    "s3 endpoint must be an http(s) URL, not {other}:"
                )));
            }
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(BlobError::Settings(
                "s3 endpoint must be a plain base URL, without credentials, query or fragment"
                    .to_owned(),
            ));
        }
        let Some(host_name) = url.host_str() else {
            return Err(BlobError::Settings("s3 endpoint has no host".to_owned()));
        };
        // `port()` is `None` for the scheme's default port, which is also what the client would
        // put into `Host`.
        let host = match url.port() {
            Some(port) => format!("{host_name}:{port}"),
            None => host_name.to_owned(),
        };
        let base_path = url.path().trim_end_matches('/');
        if !base_path.chars().all(is_plain_path_char) {
            return Err(BlobError::Settings(
                "s3 endpoint path may hold letters, digits and -_./ only".to_owned(),
            ));
        }

        let bucket = settings.bucket.as_str();
        if bucket.is_empty() || !bucket.chars().all(|c| c != '/' && is_plain_path_char(c)) {
            return Err(BlobError::Settings(
                "s3 bucket must be a bucket name: letters, digits and -_. only".to_owned(),
            ));
        }
        let prefix = settings.prefix.trim_matches('/');
        let plain_segments = prefix
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
        if !prefix.chars().all(is_plain_path_char) || (!prefix.is_empty() && !plain_segments) {
            return Err(BlobError::Settings(
                "s3 prefix must be folder names of letters, digits and -_. separated by /"
                    .to_owned(),
            ));
        }
        let objects_path = if prefix.is_empty() {
            format!("{base_path}/{bucket}/")
        } else {
            format!("{base_path}/{bucket}/{prefix}/")
        };

        let region = settings.region.as_str();
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(BlobError::Settings(
                "s3 region must be a region name such as us-east-1".to_owned(),
            ));
        }
        let access_key_id = settings.access_key_id.as_str();
        if access_key_id.is_empty()
            || !access_key_id
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != ',')
        {
            return Err(BlobError::Settings(
                "s3 access_key_id is empty or malformed".to_owned(),
            ));
        }
        if settings.secret_access_key.is_empty() {
            return Err(BlobError::Settings(
                "s3 secret_access_key is empty".to_owned(),
            ));
        }

        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect would go to another host with a signature made for this one; better
            // to report it (AWS sends one when the region is wrong).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| {
                BlobError::Settings(format!("cannot set up the HTTP client for s3: {error}"))
            })?;

        Ok(S3Bucket {
            client,
            origin: format!("{}://{host}", url.scheme()),
            host,
            objects_path,
            credentials: Credentials {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: settings.secret_access_key.clone(),
                region: region.to_owned(),
            },
        })
    }

    /// Returns whether the object was written (`false`: it was there already).
    pub(crate) async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<bool, BlobError> {
        // HEAD first: re-uploading megabytes that are already stored is the expensive path.
        // Two concurrent first uploads may both get here; `If-None-Match: *` (see `send`) has
        // the server keep the first, and a server that ignores it gets identical bytes twice.
        if self.exists(key).await? {
            return Ok(false);
        }
        const OPERATION: &str = "PutObject";
        // The declared payload hash is the key itself; S3 checks it against the body it
        // receives and refuses a body damaged on the way.
        let response = self
            .send(OPERATION, Method::PUT, key, Some(bytes), key.as_str())
            .await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            // `If-None-Match: *` lost to a concurrent upload of the same content.
            StatusCode::PRECONDITION_FAILED => Ok(false),
            _ => Err(remote_error(OPERATION, response).await),
        }
    }

    /// The bytes as stored; the caller checks them against the key.
    pub(crate) async fn get(&self, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        const OPERATION: &str = "GetObject";
        let response = self
            .send(OPERATION, Method::GET, key, None, EMPTY_PAYLOAD_SHA256)
            .await?;
        match response.status() {
            StatusCode::OK => {
                let body = response
                    .bytes()
                    .await
                    .map_err(|error| BlobError::Transport {
                        operation: OPERATION,
                        source: Box::new(error),
                    })?;
                Ok(Vec::from(body))
            }
            StatusCode::NOT_FOUND => {
                // A wrong bucket name also answers 404; it must not pass for a missing document.
                let error = remote_error(OPERATION, response).await;
                match &error {
                    BlobError::Remote { code, .. } if code == "NoSuchKey" => {
                        Err(BlobError::NotFound(key.clone()))
                    }
                    _ => Err(error),
                }
            }
            _ => Err(remote_error(OPERATION, response).await),
        }
    }

    pub(crate) async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        const OPERATION: &str = "HeadObject";
        let response = self
            .send(OPERATION, Method::HEAD, key, None, EMPTY_PAYLOAD_SHA256)
            .await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            // HEAD has no body to tell a missing object from a missing bucket; with a missing
            // bucket the PUT that follows in `put` reports NoSuchBucket.
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(remote_error(OPERATION, response).await),
        }
    }

    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        key: &BlobKey,
        body: Option<Vec<u8>>,
        payload_sha256: &str,
    ) -> Result<Response, BlobError> {
        let path = format!("{}{}", self.objects_path, key.relative_path());
        let time = SigningTime::now();
        let signed_headers = [
            ("host", self.host.as_str()),
            ("x-amz-content-sha256", payload_sha256),
            ("x-amz-date", time.amz_date.as_str()),
        ];
        let authorization = sigv4::authorization(
            &self.credentials,
            &time,
            method.as_str(),
            &path,
            &signed_headers,
            payload_sha256,
        );
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.origin))
            .header(HOST, &self.host)
            .header("x-amz-content-sha256", payload_sha256)
            .header("x-amz-date", &time.amz_date)
            .header(AUTHORIZATION, authorization);
        if let Some(body) = body {
            // Asks the server not to replace an object that exists, so a stored document is
            // never rewritten, even by a racing upload. Servers that do not know the condition
            // ignore it, which is harmless: the bytes would be the same.
            request = request
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(IF_NONE_MATCH, "*")
                .body(body);
        }
        let transport = |error: reqwest::Error| BlobError::Transport {
            operation,
            source: Box::new(error),
        };
        let request = request.build().map_err(transport)?;
        // The signature stays valid for the retries: S3 allows fifteen minutes of clock skew.
        for pause in RETRY_PAUSES {
            // A body held in memory can always be copied (cheaply: it is shared).
            let Some(attempt) = request.try_clone() else {
                break;
            };
            let outcome = self.client.execute(attempt).await;
            match &outcome {
                Ok(response) if worth_retrying(response.status()) => {
                    tracing::warn!(
                        operation,
                        status = response.status().as_u16(),
                        "s3 request failed, retrying"
                    );
                }
                Err(error) if error.is_connect() => {
                    tracing::warn!(operation, %error, "s3 connection failed, retrying");
                }
                _ => return outcome.map_err(transport),
            }
            tokio::time::sleep(pause).await;
        }
        self.client.execute(request).await.map_err(transport)
    }
}

/// Characters that are the same escaped or not, so the signed path is the sent path.
fn is_plain_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// S3 explains a failure in an XML body (`<Error><Code>NoSuchKey</Code>…`); the code is all
/// an operator needs, and is cheap to find without an XML parser.
async fn remote_error(operation: &'static str, response: Response) -> BlobError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.trim().to_owned())
        .unwrap_or_default();
    BlobError::Remote {
        operation,
        status,
        code,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn settings(endpoint: &str) -> S3Settings {
        S3Settings {
            endpoint: endpoint.to_owned(),
            bucket: "certdesk".to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: "AKID".to_owned(),
            secret_access_key: "secret".to_owned(),
            allow_http: false,
            prefix: String::new(),
        }
    }

    fn refusal(settings: &S3Settings) -> String {
        match S3Bucket::open(settings) {
            Err(BlobError::Settings(message)) => message,
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("{settings:?} was accepted"),
        }
    }

    #[test]
    fn object_paths_are_path_style_under_the_prefix() {
        let key = BlobKey::of(b"abc");
        let bucket = S3Bucket::open(&settings("https://minio.internal:9000/")).unwrap();
        assert_eq!(bucket.origin, "https://minio.internal:9000");
        assert_eq!(bucket.host, "minio.internal:9000");
        assert_eq!(bucket.objects_path, "/certdesk/");

        let mut behind_proxy = settings("https://files.example.cn/s3");
        behind_proxy.prefix = "/prod/blobs/".to_owned();
        let bucket = S3Bucket::open(&behind_proxy).unwrap();
        assert_eq!(bucket.host, "files.example.cn");
        assert_eq!(bucket.objects_path, "/s3/certdesk/prod/blobs/");
        assert_eq!(
            format!("{}{}", bucket.objects_path, key.relative_path()),
            format!("/s3/certdesk/prod/blobs/ba/78/{key}")
        );
    }

    #[test]
    fn plain_http_needs_to_be_allowed() {
        let mut local = settings("http://127.0.0.1:9000");
        assert!(refusal(&local).contains("allow_http"));
        local.allow_http = true;
        assert_eq!(S3Bucket::open(&local).unwrap().host, "127.0.0.1:9000");
    }

    #[test]
    fn malformed_settings_are_refused() {
        assert!(refusal(&settings("minio.internal:9000")).contains("http"));
        assert!(refusal(&settings("ftp://minio.internal")).contains("ftp"));
        assert!(refusal(&settings("https://user:pw@minio.internal")).contains("credentials"));
        assert!(refusal(&settings("https://minio.internal/?x=1")).contains("query"));
        assert!(refusal(&settings("https://minio.internal/s%203")).contains("path"));
        for prefix in ["a b", "a//b", "a/../b", "./a", "电子件"] {
            let mut s = settings("https://minio.internal");
            s.prefix = prefix.to_owned();
            assert!(refusal(&s).contains("prefix"), "{prefix}");
        }
        for bucket in ["", "a/b", "a b"] {
            let mut s = settings("https://minio.internal");
            s.bucket = bucket.to_owned();
            assert!(refusal(&s).contains("bucket"), "{bucket:?}");
        }
        let mut s = settings("https://minio.internal");
        s.region = String::new();
        assert!(refusal(&s).contains("region"));
        let mut s = settings("https://minio.internal");
        s.access_key_id = "AK/ID".to_owned();
        assert!(refusal(&s).contains("access_key_id"));
        let mut s = settings("https://minio.internal");
        s.secret_access_key = String::new();
        assert!(refusal(&s).contains("secret_access_key"));
    }
}
