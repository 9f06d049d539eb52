//! One store per test, on either backend, with the few backdoors the tests need (damaging a
//! stored blob, telling whether it was rewritten) that the store itself rightly lacks.

pub mod moto;

use std::path::{Path, PathBuf};

use blobs::{BlobKey, BlobSettings, BlobStore, LocalSettings, S3Settings};
use reqwest::{Method, StatusCode};

use self::moto::Moto;

/// The bucket folder used in the S3 tests, so that the prefix handling is exercised too.
const PREFIX: &str = "certdesk/blobs";

pub struct TestStore {
    pub store: BlobStore,
    settings: BlobSettings,
    backend: Backend,
}

enum Backend {
    Local { dir: tempfile::TempDir },
    S3 { moto: Moto, bucket: String },
}

impl TestStore {
    pub async fn local() -> TestStore {
        let dir = tempfile::tempdir().expect("temporary directory");
        let settings = BlobSettings::Local(LocalSettings {
            dir: dir.path().join("blobs"),
        });
        let store = BlobStore::open(&settings).await.expect("open local store");
        TestStore {
            store,
            settings,
            backend: Backend::Local { dir },
        }
    }

    /// A bucket on a fresh moto server that checks signatures; `None` when moto is missing
    /// outside CI (see [`Moto::start`]).
    pub async fn s3() -> Option<TestStore> {
        let moto = Moto::start().await?;
        let account = moto.create_account().await;
        let bucket = "certdesk-test".to_owned();
        let created = moto
            .unchecked(Method::PUT, &format!("/{bucket}"), Vec::new())
            .await;
        assert_eq!(created.status(), StatusCode::OK, "create bucket");
        moto.set_authentication(true).await;
        let settings = BlobSettings::S3(S3Settings {
            endpoint: moto.endpoint.clone(),
            bucket: bucket.clone(),
            region: "us-east-1".to_owned(),
            access_key_id: account.access_key_id,
            secret_access_key: account.secret_access_key,
            allow_http: true,
            prefix: PREFIX.to_owned(),
        });
        let store = BlobStore::open(&settings).await.expect("open s3 store");
        Some(TestStore {
            store,
            settings,
            backend: Backend::S3 { moto, bucket },
        })
    }

    pub fn settings(&self) -> &BlobSettings {
        &self.settings
    }

    /// Replaces what is stored under `key` with `bytes`, behind the store's back.
    pub async fn overwrite(&self, key: &BlobKey, bytes: &[u8]) {
        match &self.backend {
            Backend::Local { .. } => {
                std::fs::write(self.local_path(key), bytes).expect("overwrite blob file");
            }
            Backend::S3 { moto, bucket } => {
                moto.set_authentication(false).await;
                let path = format!("/{bucket}/{PREFIX}/{}", relative_path(key));
                let response = moto.unchecked(Method::PUT, &path, bytes.to_vec()).await;
                moto.set_authentication(true).await;
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                assert_eq!(status, StatusCode::OK, "overwrite {path}: {body}");
            }
        }
    }

    /// Something that changes whenever the stored object is written again.
    pub async fn stored_version(&self, key: &BlobKey) -> String {
        match &self.backend {
            Backend::Local { .. } => {
                use std::os::unix::fs::MetadataExt;
                let metadata = std::fs::metadata(self.local_path(key)).expect("blob file");
                format!(
                    "inode {} mtime {}.{}",
                    metadata.ino(),
                    metadata.mtime(),
                    metadata.mtime_nsec()
                )
            }
            Backend::S3 { moto, bucket } => {
                moto.set_authentication(false).await;
                let path = format!("/{bucket}/{PREFIX}/{}", relative_path(key));
                let response = moto.unchecked(Method::HEAD, &path, Vec::new()).await;
                moto.set_authentication(true).await;
                assert_eq!(response.status(), StatusCode::OK, "HEAD {path}");
                // One-second resolution: callers wait longer than that between writes.
                format!("{:?}", response.headers().get("last-modified"))
            }
        }
    }

    /// Files in the local store that are not blobs at their place (left-over temporary files,
    /// misplaced blobs). Always empty for S3, where uploads are atomic by nature.
    pub fn stray_files(&self) -> Vec<PathBuf> {
        let Backend::Local { dir } = &self.backend else {
            return Vec::new();
        };
        let root = dir.path().join("blobs");
        let mut strays = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder).expect("read store folder") {
                let path = entry.expect("folder entry").path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let is_blob_in_place = path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .and_then(|name| BlobKey::parse(name).ok())
                    .is_some_and(|key| path == root.join(relative_path(&key)));
                if !is_blob_in_place {
                    strays.push(path);
                }
            }
        }
        strays
    }

    /// The folder a local store was opened on.
    pub fn local_dir(&self) -> Option<PathBuf> {
        match &self.backend {
            Backend::Local { dir } => Some(dir.path().join("blobs")),
            Backend::S3 { .. } => None,
        }
    }

    fn local_path(&self, key: &BlobKey) -> PathBuf {
        match &self.backend {
            Backend::Local { dir } => local_blob_path(dir.path(), key),
            Backend::S3 { .. } => unreachable!("not a local store"),
        }
    }
}

fn local_blob_path(dir: &Path, key: &BlobKey) -> PathBuf {
    dir.join("blobs").join(relative_path(key))
}

/// The documented layout, spelt out here rather than borrowed from the crate, so that a change
/// of layout (which would strand every stored document) fails these tests.
pub fn relative_path(key: &BlobKey) -> String {
    let hex = key.as_str();
    format!("{}/{}/{hex}", &hex[..2], &hex[2..4])
}
