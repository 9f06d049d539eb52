#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The same scenarios on the local directory and on an S3 server (moto, checking signatures).

mod support;

use std::time::Duration;

use blobs::{BlobError, BlobKey, BlobSettings, BlobStore, LocalSettings, S3Settings};
use support::TestStore;

/// Runs each scenario once per backend, as `local::<scenario>` and `s3::<scenario>`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod local {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    super::$scenario(&TestStore::local().await).await;
                }
            )*
        }
        mod s3 {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let Some(store) = TestStore::s3().await else { return };
                    super::$scenario(&store).await;
                }
            )*
        }
    };
}

on_both_backends!(
    round_trip,
    putting_the_same_content_again_writes_nothing,
    a_damaged_blob_is_refused,
    a_missing_blob_is_not_found,
    concurrent_puts_of_the_same_content_store_it_once,
    another_store_on_the_same_settings_reads_the_blobs,
);

/// Bytes that look like nothing in particular, as a scan does.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

async fn round_trip(t: &TestStore) {
    let contents: [Vec<u8>; 4] = [
        Vec::new(),
        b"%PDF-1.7 business licence".to_vec(),
        (0..=255).collect(),
        noise(3 * 1024 * 1024 + 7, 1),
    ];
    for content in contents {
        let expected = BlobKey::of(&content);
        assert!(!t.store.exists(&expected).await.unwrap());
        let key = t.store.put(&content).await.unwrap();
        assert_eq!(key, expected);
        assert!(t.store.exists(&key).await.unwrap());
        assert!(
            t.store.get(&key).await.unwrap() == content,
            "content of {key} differs"
        );
    }
    assert_eq!(t.stray_files(), Vec::<std::path::PathBuf>::new());
}

async fn putting_the_same_content_again_writes_nothing(t: &TestStore) {
    let scan = noise(200_000, 2);
    let key = t.store.put(&scan).await.unwrap();
    let before = t.stored_version(&key).await;
    // S3 reports modification times to the second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(t.store.put(&scan).await.unwrap(), key);
    assert_eq!(
        t.stored_version(&key).await,
        before,
        "the blob was written again"
    );
    assert_eq!(t.store.get(&key).await.unwrap(), scan);
}

async fn a_damaged_blob_is_refused(t: &TestStore) {
    let scan = noise(100_000, 3);
    let key = t.store.put(&scan).await.unwrap();

    let mut flipped = scan.clone();
    flipped[50_000] ^= 0x01;
    t.overwrite(&key, &flipped).await;
    match t.store.get(&key).await {
        Err(BlobError::Corrupt {
            key: reported,
            actual,
        }) => {
            assert_eq!(reported, key);
            assert_eq!(actual, BlobKey::of(&flipped));
        }
        other => panic!(
            "a damaged blob was not refused: {:?}",
            other.map(|b| b.len())
        ),
    }

    let truncated = &scan[..scan.len() - 1];
    t.overwrite(&key, truncated).await;
    assert!(matches!(
        t.store.get(&key).await,
        Err(BlobError::Corrupt { .. })
    ));
}

async fn a_missing_blob_is_not_found(t: &TestStore) {
    let key = BlobKey::of(b"never uploaded");
    assert!(!t.store.exists(&key).await.unwrap());
    match t.store.get(&key).await {
        Err(BlobError::NotFound(missing)) => assert_eq!(missing, key),
        other => panic!("expected NotFound, got {:?}", other.map(|b| b.len())),
    }
    // Something else being stored changes nothing.
    t.store.put(b"another document").await.unwrap();
    assert!(matches!(
        t.store.get(&key).await,
        Err(BlobError::NotFound(_))
    ));
}

/// On S3 this also guards against a moto race (5.2): two PUTs replacing one key at once can
/// make moto answer 500. The store's `If-None-Match: *` and its retries keep that away.
async fn concurrent_puts_of_the_same_content_store_it_once(t: &TestStore) {
    let scan = noise(1024 * 1024, 4);
    let expected = BlobKey::of(&scan);
    let uploads: Vec<_> = (0..16)
        .map(|_| {
            let store = t.store.clone();
            let scan = scan.clone();
            tokio::spawn(async move { store.put(&scan).await })
        })
        .collect();
    for upload in uploads {
        assert_eq!(upload.await.unwrap().unwrap(), expected);
    }
    assert_eq!(t.store.get(&expected).await.unwrap(), scan);
    assert_eq!(t.stray_files(), Vec::<std::path::PathBuf>::new());
}

/// Several `serve` instances share one store through their settings.
async fn another_store_on_the_same_settings_reads_the_blobs(t: &TestStore) {
    let key = t.store.put(b"stamped form").await.unwrap();
    let other = BlobStore::open(t.settings()).await.unwrap();
    assert!(other.exists(&key).await.unwrap());
    assert_eq!(other.get(&key).await.unwrap(), b"stamped form");
}

// What only one backend has.

#[tokio::test]
async fn local_blobs_are_files_named_by_their_hash() {
    let t = TestStore::local().await;
    let key = t.store.put(b"abc").await.unwrap();
    let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(key.as_str(), hex);
    let file = t.local_dir().unwrap().join("ba").join("78").join(hex);
    assert_eq!(std::fs::read(file).unwrap(), b"abc");
}

#[tokio::test]
async fn local_store_creates_its_folder() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data").join("blobs");
    let settings = BlobSettings::Local(LocalSettings { dir: dir.clone() });
    BlobStore::open(&settings).await.unwrap();
    assert!(dir.is_dir());
}

fn s3_settings(t: &TestStore) -> S3Settings {
    match t.settings() {
        BlobSettings::S3(settings) => settings.clone(),
        BlobSettings::Local(_) => unreachable!("an s3 test store"),
    }
}

/// Shows that moto checks signatures, so the s3 scenarios above test the signing.
#[tokio::test]
async fn s3_requests_signed_with_a_wrong_secret_are_refused() {
    let Some(t) = TestStore::s3().await else {
        return;
    };
    let key = t.store.put(b"signed").await.unwrap();
    let mut settings = s3_settings(&t);
    settings.secret_access_key.push('x');
    let impostor = BlobStore::open(&BlobSettings::S3(settings)).await.unwrap();
    match impostor.get(&key).await {
        Err(BlobError::Remote {
            status: 403, code, ..
        }) => {
            assert_eq!(code, "SignatureDoesNotMatch");
        }
        other => panic!(
            "expected a refused signature, got {:?}",
            other.map(|b| b.len())
        ),
    }
    assert!(matches!(
        impostor.put(b"forged").await,
        Err(BlobError::Remote { status: 403, .. })
    ));
}

/// A wrong bucket name must not make every document look missing.
#[tokio::test]
async fn s3_missing_bucket_is_an_error_not_a_missing_blob() {
    let Some(t) = TestStore::s3().await else {
        return;
    };
    let mut settings = s3_settings(&t);
    settings.bucket = "no-such-bucket".to_owned();
    let store = BlobStore::open(&BlobSettings::S3(settings)).await.unwrap();
    match store.get(&BlobKey::of(b"x")).await {
        Err(BlobError::Remote {
            status: 404, code, ..
        }) => assert_eq!(code, "NoSuchBucket"),
        other => panic!("expected NoSuchBucket, got {:?}", other.map(|b| b.len())),
    }
    match store.put(b"x").await {
        Err(BlobError::Remote {
            status: 404, code, ..
        }) => assert_eq!(code, "NoSuchBucket"),
        other => panic!("expected NoSuchBucket, got {other:?}"),
    }
}

#[tokio::test]
async fn s3_unreachable_endpoint_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = BlobSettings::S3(S3Settings {
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: "certdesk".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: "AKID".to_owned(),
        secret_access_key: "secret".to_owned(),
        allow_http: true,
        prefix: String::new(),
    });
    let store = BlobStore::open(&settings).await.unwrap();
    let result = store.exists(&BlobKey::of(b"x")).await;
    assert!(
        matches!(
            result,
            Err(BlobError::Transport {
                operation: "HeadObject",
                ..
            })
        ),
        "{result:?}"
    );
}

/// The documents travel encrypted to a server whose certificate checks out, or not at all.
#[tokio::test]
async fn s3_endpoint_with_an_untrusted_certificate_is_refused() {
    let Some(moto) = support::moto::Moto::start_with_untrusted_tls().await else {
        return;
    };
    let settings = BlobSettings::S3(S3Settings {
        endpoint: moto.endpoint.clone(),
        bucket: "certdesk".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: "AKID".to_owned(),
        secret_access_key: "secret".to_owned(),
        allow_http: false,
        prefix: String::new(),
    });
    let store = BlobStore::open(&settings).await.unwrap();
    match store.put(b"scan of an ID card").await {
        Err(BlobError::Transport { source, .. }) => {
            let mut chain = source.to_string();
            let mut cause = source.source();
            while let Some(inner) = cause {
                chain.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            assert!(chain.to_lowercase().contains("certificate"), "{chain}");
        }
        other => panic!("expected a refused certificate, got {other:?}"),
    }
}
