use std::path::PathBuf;

use crate::key::BlobKey;

/// Everything that can go wrong when storing or reading a document.
///
/// Only [`BlobError::NotFound`] is a normal outcome a caller may want to show as such; the
/// others are operational failures to log and report as internal errors. None of them carries
/// document content or personal data, so any of them may be logged.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// Nothing is stored under this key: a reference to a document that was never uploaded
    /// here (wrong store, restored database without its files).
    #[error("no blob is stored under {0}")]
    NotFound(BlobKey),
    /// The stored bytes no longer hash to their key (disk damage, tampering, a partial copy).
    /// A document that is not the one filed is never handed out.
    #[error("blob {key} is corrupt: its stored content hashes to {actual}")]
    Corrupt { key: BlobKey, actual: BlobKey },
    /// The settings cannot work; reported by [`crate::BlobStore::open`] at start-up.
    #[error("blob store settings: {0}")]
    Settings(String),
    /// The local directory could not be read or written.
    #[error("blob store could not {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No answer from the S3 endpoint (connection refused, timeout, TLS failure).
    #[error("blob store: S3 {operation} failed to get an answer")]
    Transport {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The S3 endpoint answered with an error; `code` is the S3 error code (`AccessDenied`,
    /// `NoSuchBucket`, `SignatureDoesNotMatch`, …) or empty when the answer had no body.
    #[error("blob store: S3 {operation} answered HTTP {status} {code}")]
    Remote {
        operation: &'static str,
        status: u16,
        code: String,
    },
}
