use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// Where uploaded documents are kept, as written in the settings file:
///
/// ```toml
/// [blobs]
/// kind = "local"
/// dir = "data/blobs"
/// ```
///
/// or, for MinIO, Ceph, AWS or any other S3-speaking store,
///
/// ```toml
/// [blobs]
/// kind = "s3"
/// endpoint = "https://minio.internal:9000"
/// bucket = "certdesk"
/// region = "us-east-1"          # optional; MinIO's default
/// access_key_id = "…"
/// secret_access_key = "…"
/// prefix = "blobs"              # optional: a folder inside the bucket
/// allow_http = false            # optional: true only for a server on the same host
/// ```
///
/// A single machine starts with `local`; several `serve` instances need a store they all reach,
/// which is what `s3` is for. The values are only checked by [`crate::BlobStore::open`], so a
/// mistake is reported at start-up with the name of the field.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BlobSettings {
    /// Files in a directory on this machine.
    Local(LocalSettings),
    /// Objects in an S3-compatible bucket.
    S3(S3Settings),
}

/// A directory that holds the blobs; it is created if missing.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSettings {
    /// Relative paths are taken from the working directory of the process.
    pub dir: PathBuf,
}

/// How to reach an S3-compatible bucket.
///
/// Requests use path-style addresses (`<endpoint>/<bucket>/<key>`), which MinIO and Ceph need
/// and AWS still serves. The credentials need `s3:GetObject`, `s3:PutObject` and
/// `s3:ListBucket` on the bucket: without the last one AWS answers a missing object with 403
/// instead of 404, and every first upload would fail.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Base URL of the S3 service, e.g. `https://s3.cn-north-1.amazonaws.com.cn` or
    /// `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// The bucket must exist: creating buckets is an operator's job, not the application's.
    pub bucket: String,
    /// Part of every request signature; MinIO accepts `us-east-1` unless configured otherwise.
    #[serde(default = "default_region")]
    pub region: String,
    /// Unlike the secret it may show in `Debug` output: it names the credential, it does not
    /// grant it.
    pub access_key_id: String,
    /// Never printed: `Debug` shows it as `***`.
    pub secret_access_key: String,
    /// Plain http sends the documents and a reusable signature in the clear, so it is refused
    /// unless asked for (a MinIO on the same host, a test server).
    #[serde(default)]
    pub allow_http: bool,
    /// A folder inside the bucket, so that one bucket can serve several installations. Letters,
    /// digits and `-_./` only: such names need no escaping, so the signed path is exactly the
    /// path sent, whatever the server's idea of URL normalisation.
    #[serde(default)]
    pub prefix: String,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("allow_http", &self.allow_http)
            .field("prefix", &self.prefix)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn local_settings_read_from_toml() {
        let settings: BlobSettings = toml::from_str(
            r#"kind = "local"
dir = "data/blobs""#,
        )
        .unwrap();
        let BlobSettings::Local(local) = settings else {
            panic!("{settings:?}")
        };
        assert_eq!(local.dir, PathBuf::from("data/blobs"));
    }

    #[test]
    fn s3_settings_read_from_toml_with_defaults() {
        let settings: BlobSettings = toml::from_str(
            r#"kind = "s3"
endpoint = "https://minio.internal:9000"
bucket = "certdesk"
access_key_id = "AKID"
secret_access_key = "s3cr3t""#,
        )
        .unwrap();
        let BlobSettings::S3(s3) = settings else {
            panic!("{settings:?}")
        };
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.prefix, "");
        assert!(!s3.allow_http);
    }

    #[test]
    fn a_misspelt_field_is_an_error_not_a_default() {
        let result = toml::from_str::<BlobSettings>(
            r#"kind = "s3"
endpoint = "http://127.0.0.1:9000"
bucket = "certdesk"
access_key_id = "AKID"
secret_access_key = "s3cr3t"
allow_htp = true"#,
        );
        let message = result.unwrap_err().to_string();
        assert!(message.contains("allow_htp"), "{message}");
        assert!(toml::from_str::<BlobSettings>(r#"kind = "ftp""#).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let settings: BlobSettings = toml::from_str(
            r#"kind = "s3"
endpoint = "https://minio.internal:9000"
bucket = "certdesk"
access_key_id = "AKID"
secret_access_key = "s3cr3t""#,
        )
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("AKID"), "{printed}");
    }
}
