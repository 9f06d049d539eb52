//! The CA's records on both backends: DER through BLOB/BYTEA, one CA at most, many
//! certificates in one statement, conditional revocation, CRL numbers and pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::application::CertType;
use domain::ids::{AuthorityId, CertificateId};
use jiff::{SignedDuration, Timestamp};
use store::Conflict;
use store::ca::{self, Authority, AuthorityRole, CertificateStatus, KeyStorage, NewCertificate};
use store::testing::TestDb;

fn authority(role: AuthorityRole, issuer: Option<AuthorityId>, now: Timestamp) -> Authority {
    Authority {
        id: AuthorityId::new(),
        role,
        issuer_id: issuer,
        algorithm: "ecdsa_p256".into(),
        // Every byte value, to see BLOB/BYTEA keep them all.
        certificate: (0..=255u8).collect(),
        key: KeyStorage::File {
            encrypted_pem: "-----BEGIN ENCRYPTED PRIVATE KEY-----".into(),
        },
        not_before: now,
        not_after: now + SignedDuration::from_hours(24),
        created_at: now,
    }
}

fn certificate(issuer: AuthorityId, n: u32, now: Timestamp) -> NewCertificate {
    NewCertificate {
        id: CertificateId::new(),
        serial: format!("{n:032x}"),
        issuer_id: issuer,
        application_id: None,
        organisation_id: None,
        holder_user_id: None,
        cert_type: CertType::OrgMaster,
        subject: format!("CN=单位{n}, C=CN"),
        holder_name: format!("单位{n}"),
        organisation_name: Some(format!("单位{n}")),
        credit_code: None,
        spki_sha256: format!("{:064x}", n % 7),
        token_serial: None,
        not_before: now,
        not_after: now + SignedDuration::from_hours(24 * 365),
        der: vec![0x30, 0x00, n as u8],
        replaces: None,
        created_at: now,
    }
}

#[tokio::test]
async fn the_ca_records_round_trip() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let now = Timestamp::from_second(1_800_000_000).unwrap();

    assert!(!ca::exists(&mut conn).await.unwrap());
    let root = authority(AuthorityRole::Root, None, now);
    ca::insert_authority(&mut conn, &root).await.unwrap();
    let issuing = authority(AuthorityRole::Issuing, Some(root.id), now);
    ca::insert_authority(&mut conn, &issuing).await.unwrap();
    assert!(ca::exists(&mut conn).await.unwrap());
    let again = ca::insert_authority(&mut conn, &authority(AuthorityRole::Root, None, now))
        .await
        .unwrap_err();
    assert_eq!(again.conflict(), Some(Conflict::CaExists), "{again}");
    let read = ca::authority(&mut conn, AuthorityRole::Issuing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.certificate, issuing.certificate);
    assert_eq!(read.issuer_id, Some(root.id));

    // Two responders: the newest valid one answers.
    let old = authority(AuthorityRole::Ocsp, Some(issuing.id), now);
    let mut new = authority(AuthorityRole::Ocsp, Some(issuing.id), now);
    new.not_after = now + SignedDuration::from_hours(48);
    new.key = KeyStorage::Pkcs11 {
        label: "ocsp-2".into(),
    };
    ca::insert_authority(&mut conn, &old).await.unwrap();
    ca::insert_authority(&mut conn, &new).await.unwrap();
    let current = ca::current_responder(&mut conn, issuing.id, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, new.id);
    assert_eq!(current.key, new.key);

    // 2,500 certificates in one transaction (three statements).
    let certs: Vec<_> = (1..=2500)
        .map(|n| certificate(issuing.id, n, now))
        .collect();
    let mut tx = store.begin().await.unwrap();
    ca::insert_certificates(&mut tx, &certs).await.unwrap();
    tx.commit().await.unwrap();
    let got = ca::by_serial(&mut conn, &certs[41].serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.issued.der, certs[41].der);
    assert_eq!(got.issued.subject, certs[41].subject);
    assert_eq!(got.status, CertificateStatus::Valid);
    assert!(ca::by_serial(&mut conn, "ff").await.unwrap().is_none());
    let dup = ca::insert_certificates(&mut conn, &[certificate(issuing.id, 1, now)])
        .await
        .unwrap_err();
    assert_eq!(dup.conflict(), Some(Conflict::CertificateSerial), "{dup}");

    let uses = ca::key_use(&mut conn, &certs[0].spki_sha256).await.unwrap();
    assert!(uses.subjects.len() > 300 && !uses.compromised);

    // Revocation happens once.
    let at = now + SignedDuration::from_hours(1);
    assert!(
        ca::revoke(&mut conn, &certs[0].serial, at, "keyCompromise")
            .await
            .unwrap()
    );
    assert!(
        !ca::revoke(&mut conn, &certs[0].serial, at, "superseded")
            .await
            .unwrap()
    );
    assert!(!ca::revoke(&mut conn, "ff", at, "superseded").await.unwrap());
    for c in &certs[1..] {
        ca::revoke(&mut conn, &c.serial, at, "superseded")
            .await
            .unwrap();
    }
    let got = ca::by_serial(&mut conn, &certs[0].serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.status, CertificateStatus::Revoked);
    assert_eq!(got.revoked_at, Some(at));
    assert_eq!(got.revocation_reason.as_deref(), Some("keyCompromise"));
    assert!(
        ca::key_use(&mut conn, &certs[0].spki_sha256)
            .await
            .unwrap()
            .compromised
    );

    // The revoked walk crosses pages and keeps serial order.
    let mut seen = Vec::new();
    let n = ca::for_each_revoked(&mut conn, issuing.id, |e| {
        seen.push(e.serial);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(n, 2500);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);

    // CRL numbers rise; the revision follows them.
    assert_eq!(ca::crl_revision(&mut conn, issuing.id).await.unwrap(), 0);
    assert!(
        ca::latest_crl(&mut conn, issuing.id)
            .await
            .unwrap()
            .is_none()
    );
    for expected in 1..=2 {
        let number = ca::next_crl_number(&mut conn, issuing.id).await.unwrap();
        assert_eq!(number, expected);
        ca::insert_crl(
            &mut conn,
            &ca::Crl {
                issuer_id: issuing.id,
                number,
                this_update: now,
                next_update: now + SignedDuration::from_hours(24 * 7),
                der: vec![0, 1, 2, 255, number as u8],
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(ca::crl_revision(&mut conn, issuing.id).await.unwrap(), 2);
    let crl = ca::latest_crl(&mut conn, issuing.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((crl.number, crl.der), (2, vec![0, 1, 2, 255, 2]));
}
