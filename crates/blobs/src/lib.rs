//! Uploaded documents (电子件: scans of ID cards, business licences, stamped forms), stored by
//! the SHA-256 of their content.
//!
//! Content addressing fits records that must be kept and trusted: the same file uploaded twice
//! is stored once, a key in the database names exactly one content, and every read checks that
//! the bytes still hash to their key, so a damaged or altered file is reported, never served.
//!
//! There is deliberately no delete: application records (and their documents) must be kept for
//! five years. Expiring them, when it comes, will be a separate, audited job.
//!
//! The store knows nothing of applications or of who may see a document; that is `app`'s
//! business. It sits beside `store` under `app`.

#![forbid(unsafe_code)]

mod error;
mod key;
mod local;
mod s3;
mod settings;
mod sigv4;

use std::fmt;
use std::sync::Arc;

pub use error::BlobError;
pub use key::{BlobKey, BlobKeyError};
pub use settings::{BlobSettings, LocalSettings, S3Settings};

use local::LocalDir;
use s3::S3Bucket;

/// A content-addressed store of documents, on a local directory or an S3-compatible bucket.
///
/// Cloning is cheap (the backend and its HTTP connection pool are shared), so one store is made
/// at start-up and handed to whatever needs it.
#[derive(Clone)]
pub struct BlobStore {
    backend: Arc<Backend>,
}

enum Backend {
    Local(LocalDir),
    S3(S3Bucket),
}

impl BlobStore {
    /// Checks the settings and prepares the backend, so that a wrong setting stops start-up
    /// rather than the first upload. A local directory is created if missing; an S3 bucket is
    /// not contacted (a store that is briefly unreachable should not keep the service down).
    pub async fn open(settings: &BlobSettings) -> Result<Self, BlobError> {
        let backend = match settings {
            BlobSettings::Local(local) => Backend::Local(LocalDir::open(&local.dir).await?),
            BlobSettings::S3(s3) => Backend::S3(S3Bucket::open(s3)?),
        };
        Ok(BlobStore {
            backend: Arc::new(backend),
        })
    }

    /// Stores `bytes` and returns their key. Storing content that is already there returns
    /// the same key without writing it again, so a retried or repeated upload costs only a
    /// lookup. When this returns, the content is durably stored.
    pub async fn put(&self, bytes: &[u8]) -> Result<BlobKey, BlobError> {
        // Hashing ten megabytes takes tens of milliseconds: too long for an async worker.
        let bytes = bytes.to_vec();
        let (key, bytes) = run_blocking(move || Ok((BlobKey::of(&bytes), bytes))).await?;
        let written = match &*self.backend {
            Backend::Local(local) => local.put(&key, bytes).await?,
            Backend::S3(s3) => s3.put(&key, bytes).await?,
        };
        tracing::debug!(blob = %key, written, "blob stored");
        Ok(key)
    }

    /// The content stored under `key`, after checking that it still hashes to `key`.
    pub async fn get(&self, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        let bytes = match &*self.backend {
            Backend::Local(local) => local.get(key).await?,
            Backend::S3(s3) => s3.get(key).await?,
        };
        let expected = key.clone();
        run_blocking(move || {
            let actual = BlobKey::of(&bytes);
            if actual == expected {
                Ok(bytes)
            } else {
                Err(BlobError::Corrupt {
                    key: expected,
                    actual,
                })
            }
        })
        .await
    }

    /// Whether something is stored under `key`, without reading (or checking) it: for
    /// validating a reference cheaply, e.g. before attaching an uploaded document to a form.
    pub async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        match &*self.backend {
            Backend::Local(local) => local.exists(key).await,
            Backend::S3(s3) => s3.exists(key).await,
        }
    }
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &*self.backend {
            Backend::Local(_) => "local",
            Backend::S3(_) => "s3",
        };
        f.debug_struct("BlobStore")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

/// Runs blocking work (hashing, file system calls) on tokio's blocking pool. A panic inside is
/// passed on as a panic; the only other failure, the runtime shutting down, becomes an error.
async fn run_blocking<T, F>(work: F) -> Result<T, BlobError>
where
    F: FnOnce() -> Result<T, BlobError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(BlobError::Io {
            action: "finish a task on",
            path: "the blocking pool".into(),
            source: std::io::Error::other(error),
        }),
    }
}
