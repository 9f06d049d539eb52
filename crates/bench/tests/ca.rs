//! The CA benchmark's Rust half, small, on the test backend: the seeded orders are what the
//! app stores for an approved 新办 at 待制证, each with its own key and a CSR the CA accepts;
//! the OCSP set answers good and revoked; the CRL lists every seeded revocation. No timing is
//! asserted (the benchmark itself is `bench/ca/run.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;

use app::ca::{InitOptions, KeySource};
use app::{Actor, App};
use store::testing::TestDb;

async fn app_with_ca(db: &TestDb, blobs: &std::path::Path) -> App {
    let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
        dir: blobs.to_path_buf(),
    }))
    .await
    .unwrap();
    let app = App::new(db.store().await, blobs, "http://certdesk.test");
    let keys = KeySource::File {
        passphrase: "bench".to_owned().into(),
        kdf_iterations: 1_000,
    };
    app::ca::init(&app, &Actor::system(), &keys, &InitOptions::default())
        .await
        .unwrap();
    let ca = app::ca::load(&app, &keys).await.unwrap();
    app.with_ca(Arc::clone(&ca))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_orders_wait_for_production_each_with_its_own_key() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let _app = app_with_ca(&db, dir.path()).await;
    let store = db.store().await;
    let operator = bench::ca::orders::Operator {
        mobile: "13900009999".into(),
        password: bench::seed::PASSWORD.into(),
    };
    let bodies = dir.path().join("bodies.tsv");
    let seeded = bench::ca::orders::seed(&store, 30, &operator, &bodies)
        .await
        .unwrap();
    assert_eq!(seeded.orders, 30);

    let text = std::fs::read_to_string(&bodies).unwrap();
    let mut ids = HashSet::new();
    let mut keys = HashSet::new();
    for line in text.lines() {
        let (id, body) = line.split_once('\t').unwrap();
        assert!(ids.insert(id.to_owned()), "order {id} twice");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        let csr = pki::Csr::parse(json["csr"].as_str().unwrap().as_bytes()).unwrap();
        assert!(keys.insert(csr.public_key().sha256()), "a key twice");
        // What the app stored, read back through the store.
        let id = domain::ids::ApplicationId::parse(id).unwrap();
        let mut conn = store.conn().await.unwrap();
        let record = store::applications::get(&mut conn, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            record.status,
            domain::application::Status::AwaitingProduction
        );
        assert!(record.paid);
        assert_eq!(record.position, "at");
        assert_eq!(
            record.procedure,
            domain::application::Procedure::default_for(
                domain::application::Kind::New,
                domain::application::Channel::Online
            )
            .code()
        );
        assert_eq!(record.step_index, 4, "fill, pay, 初审, 终审, then produce");
    }
    assert_eq!(ids.len(), 30);

    // The operator signs in with the bench's password.
    let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
        dir: dir.path().join("b2"),
    }))
    .await
    .unwrap();
    let plain = App::new(store.clone(), blobs, "http://certdesk.test");
    let session = app::accounts::sign_in(
        &plain,
        &app::accounts::SignInInput {
            mobile: operator.mobile.clone(),
            password: operator.password.clone(),
        },
    )
    .await
    .unwrap();
    let session = app::accounts::authenticate(&plain, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.actor.role, domain::account::Role::Operator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crl_lists_every_seeded_revocation_and_ocsp_knows_the_set() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_ca(&db, dir.path()).await;
    let store = db.store().await;

    bench::ca::crl::seed_revoked(&store, 2_500).await.unwrap();
    let published = bench::ca::crl::publish(&app).await.unwrap();
    assert_eq!(bench::ca::crl::entries(&published.der).unwrap(), 2_500);

    let set = bench::ca::ocsp::issue_set(&app, 2, 1).await.unwrap();
    assert_eq!((set.good.len(), set.revoked.len()), (2, 1));
    let mut conn = store.conn().await.unwrap();
    let good = store::ca::by_serial(&mut conn, &set.good[0].0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(good.status, store::ca::CertificateStatus::Valid);
    let revoked = store::ca::by_serial(&mut conn, &set.revoked[0].0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.status, store::ca::CertificateStatus::Revoked);
    // The newest CRL (published by the revocation) lists the seeded rows and the set's one.
    let crl = app.ca().unwrap().crl();
    assert_eq!(bench::ca::crl::entries(&crl.der).unwrap(), 2_501);
}
