//! 制证 and delivery through the app's public functions, on SQLite and PostgreSQL: each
//! kind does what production's plan says, the certificates pass `openssl verify`, delivery
//! ends the order, and nothing is issued that the order does not allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use app::Error;
use app::applications::{self, HandOverInput, ProduceInput, ShipInput};
use domain::application::Status;
use support::{
    World, csr, filled, openssl, produced, start, status, submit, to_production, with_csr,
};

/// `openssl verify` of a PEM certificate against the CA's chain; the certificate's text.
fn verified(w: &World, dir: &Path, name: &str, pem: &str) -> String {
    let chain = w.app.ca().unwrap().chain_pem().to_owned();
    let (issuing, root) = chain.split_at(chain.find("-----END CERTIFICATE-----").unwrap() + 25);
    std::fs::write(dir.join("issuing.pem"), issuing.trim()).unwrap();
    std::fs::write(dir.join("root.pem"), root.trim()).unwrap();
    std::fs::write(dir.join(format!("{name}.pem")), pem).unwrap();
    let out = openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "issuing.pem",
            &format!("{name}.pem"),
        ],
    );
    assert!(out.contains(": OK"), "{out}");
    openssl(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-noout",
            "-text",
            "-nameopt",
            "utf8",
        ],
    )
}

fn refused(e: Error) -> &'static str {
    match e {
        Error::Refused(k) => k,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn new_of_two_is_produced_one_by_one_then_shipped_and_received() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let org = w.org(1).await;
    let reviewer = w.staff(1, "reviewer").await;
    let operator = w.staff(2, "operator").await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    submit(&w, &org, id, filled("mail", 2)).await;

    // Nothing before approval and payment.
    let early = applications::produce(&w.app, &operator, id, &with_csr(csr(dir.path(), "k0"), ""))
        .await
        .unwrap_err();
    assert_eq!(refused(early), "production.not_awaiting");
    to_production(&w, &org, &reviewer, id).await;

    // The applicant does not produce at the service desk; a bad CSR is named at its field.
    let e = applications::produce(&w.app, &org, id, &with_csr(csr(dir.path(), "k1"), ""))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    for (bad, key) in [
        (
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
            "csr.malformed",
        ),
        ("not base64 at all!", "csr.malformed"),
        ("", "production.csr_required"),
    ] {
        let e = applications::produce(&w.app, &operator, id, &with_csr(bad.into(), ""))
            .await
            .unwrap_err();
        match e {
            Error::Invalid(f) => assert_eq!(f.get("csr"), Some(key), "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let e = applications::produce(
        &w.app,
        &operator,
        id,
        &with_csr(csr(dir.path(), "k1"), "锁 001"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::Invalid(ref f) if f.get("token_serial").is_some()),
        "{e:?}"
    );
    assert!(
        applications::view(&w.app, &org, id)
            .await
            .unwrap()
            .certificates
            .is_empty()
    );

    let first = applications::produce(
        &w.app,
        &operator,
        id,
        &with_csr(csr(dir.path(), "k1"), "HT-0001"),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.issued, first.quantity, first.complete),
        (1, 2, false)
    );
    assert_eq!(status(&w, &org, id).await, Status::AwaitingProduction);
    let cert = first.certificate.unwrap();
    let text = verified(&w, dir.path(), "first", &cert.to_pem());
    assert!(text.contains("测试单位1"), "{text}");
    assert!(
        text.contains(&format!("NTRCN-{}", support::uscc(1))),
        "{text}"
    );

    let second = applications::produce(
        &w.app,
        &operator,
        id,
        &with_csr(csr(dir.path(), "k2"), "HT-0002"),
    )
    .await
    .unwrap();
    assert_eq!((second.issued, second.complete), (2, true));
    assert_eq!(status(&w, &org, id).await, Status::AwaitingShipment);
    let third = applications::produce(&w.app, &operator, id, &with_csr(csr(dir.path(), "k3"), ""))
        .await
        .unwrap_err();
    assert_eq!(refused(third), "production.not_awaiting");

    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.certificates.len(), 2);
    let last = view.history.last().unwrap();
    assert_eq!(last.transition, domain::application::Transition::Produced);
    assert!(
        last.comment
            .contains(&second.certificate.as_ref().unwrap().serial),
        "{last:?}"
    );
    let told = app::notifications::recent(&w.app, &org).await.unwrap();
    assert!(
        told.iter().any(|n| n.status == "awaiting_shipment"),
        "the applicant is told: {told:?}"
    );
    assert_eq!(
        view.certificates[0].token_serial.as_deref(),
        Some("HT-0001")
    );
    let validity = view.certificates[0].not_after - view.certificates[0].not_before;
    assert!(validity.get_seconds() >= 365 * 86_400, "one year paid");

    // 发货: both fields named when wrong, kept for the next try.
    let e = applications::ship(
        &w.app,
        &operator,
        id,
        &ShipInput {
            carrier: String::new(),
            tracking_number: "12 34".into(),
            version: None,
        },
    )
    .await
    .unwrap_err();
    match e {
        Error::Invalid(f) => {
            assert_eq!(f.get("carrier"), Some("delivery.carrier_required"));
            assert_eq!(
                f.get("tracking_number"),
                Some("delivery.tracking_number_invalid")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        applications::ship(&w.app, &org, id, &ShipInput::default())
            .await
            .is_err()
    );
    applications::ship(
        &w.app,
        &operator,
        id,
        &ShipInput {
            carrier: "顺丰速运".into(),
            tracking_number: "sf1234567890".into(),
            version: None,
        },
    )
    .await
    .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::Shipped);
    let d = view.delivery_details.unwrap();
    assert_eq!(d.tracking_number.as_deref(), Some("SF1234567890"));
    assert!(view.actions.contains(&"confirm_receipt"));

    applications::confirm_receipt(&w.app, &org, id, None)
        .await
        .unwrap();
    assert_eq!(status(&w, &org, id).await, Status::Completed);
    let other = w.org(9).await;
    assert!(
        applications::confirm_receipt(&w.app, &other, id, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn on_site_new_with_a_generated_key_is_picked_up_with_the_code() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let org = w.org(3).await;
    let reviewer = w.staff(3, "reviewer").await;
    let operator = w.staff(4, "operator").await;
    let point = w.service_point("西湖办理点").await;
    let id = applications::start(&w.app, &org, &start("new", "seal", "onsite"))
        .await
        .unwrap();
    let mut form = filled("pickup", 1);
    form.service_point = point;
    submit(&w, &org, id, form).await;
    to_production(&w, &org, &reviewer, id).await;

    let short = applications::produce(
        &w.app,
        &operator,
        id,
        &ProduceInput {
            generate: "yes".into(),
            pkcs12_password: "short".into(),
            ..ProduceInput::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(short, Error::Invalid(ref f) if f.get("pkcs12_password") == Some("production.password_too_short"))
    );
    let made = applications::produce(
        &w.app,
        &operator,
        id,
        &ProduceInput {
            generate: "yes".into(),
            pkcs12_password: "p12-Passw0rd".into(),
            token_serial: "SEAL-77".into(),
            ..ProduceInput::default()
        },
    )
    .await
    .unwrap();
    assert!(made.complete);
    std::fs::write(dir.path().join("soft.p12"), made.pkcs12.unwrap().as_slice()).unwrap();
    let dump = openssl(
        dir.path(),
        &[
            "pkcs12",
            "-in",
            "soft.p12",
            "-passin",
            "pass:p12-Passw0rd",
            "-nodes",
            "-info",
        ],
    );
    assert!(dump.contains("BEGIN PRIVATE KEY"), "{dump}");
    assert_eq!(
        dump.matches("BEGIN CERTIFICATE").count(),
        3,
        "with its chain"
    );
    let text = verified(&w, dir.path(), "seal", &made.certificate.unwrap().to_pem());
    assert!(
        text.contains("CN=测试单位3"),
        "the seal is named after its organisation: {text}"
    );

    // The code is the applicant's to show, not the operator's to read.
    let mine = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(mine.status, Status::AwaitingPickup);
    let code = mine.delivery_details.unwrap().pickup_code.unwrap();
    assert_eq!(code.len(), 6);
    let desk = applications::view(&w.app, &operator, id).await.unwrap();
    assert_eq!(desk.delivery_details.unwrap().pickup_code, None);
    assert!(desk.actions.contains(&"hand_over"));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = applications::hand_over(
        &w.app,
        &operator,
        id,
        &HandOverInput {
            pickup_code: wrong.into(),
            version: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::Invalid(ref f) if f.get("pickup_code") == Some("delivery.pickup_code_wrong"))
    );
    applications::hand_over(
        &w.app,
        &operator,
        id,
        &HandOverInput {
            pickup_code: code,
            version: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(&w, &org, id).await, Status::Completed);
}

/// A produced 单位主锁 of organisation `n`: its order id and serial.
#[tokio::test]
async fn renewal_online_is_the_applicants_and_runs_from_the_old_expiry() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let org = w.org(5).await;
    let (_, serial) = produced(&w, &org, 5, dir.path()).await;
    let old = app::ca::certificate(&w.app, &w.staff(6, "admin").await, &serial)
        .await
        .unwrap();

    let id = applications::start(&w.app, &org, &start("renew", "org_master", "online"))
        .await
        .unwrap();
    let mut form = filled("", 1);
    form.years = "2".into();
    form.certificate_serial = serial.clone();
    submit(&w, &org, id, form).await;
    let reviewer = w.staff(7, "reviewer").await;
    to_production(&w, &org, &reviewer, id).await;

    let operator = w.staff(8, "operator").await;
    let e = applications::produce(&w.app, &operator, id, &with_csr(csr(dir.path(), "r0"), ""))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Forbidden),
        "online renewal is the applicant's: {e:?}"
    );
    let other = w.org(55).await;
    let e = applications::produce(&w.app, &other, id, &with_csr(csr(dir.path(), "r0"), ""))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden | Error::NotFound), "{e:?}");

    let renewed = applications::produce(&w.app, &org, id, &with_csr(csr(dir.path(), "r1"), ""))
        .await
        .unwrap();
    let cert = renewed.certificate.unwrap();
    let expected = old
        .not_after
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    let expected = expected
        .checked_add(jiff::Span::new().years(2))
        .unwrap()
        .timestamp();
    assert_eq!(cert.not_after, expected, "two years from the old expiry");
    assert_eq!(cert.subject, old.subject, "the same subject");
    assert_eq!(status(&w, &org, id).await, Status::Completed);
    let still = app::ca::certificate(&w.app, &operator, &serial)
        .await
        .unwrap();
    assert_eq!(
        still.status,
        app::ca::certificates::CertificateStatus::Valid,
        "a renewal leaves the old one valid until it ends"
    );
}

#[tokio::test]
async fn replacing_a_lost_key_revokes_the_old_as_compromised_and_cancel_revokes() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let org = w.org(11).await;
    let (_, serial) = produced(&w, &org, 11, dir.path()).await;
    let reviewer = w.staff(12, "reviewer").await;
    let operator = w.staff(13, "operator").await;

    // Someone else's certificate cannot be named.
    let stranger = w.org(12).await;
    let (_, theirs) = produced(&w, &stranger, 12, dir.path()).await;
    let id = applications::start(&w.app, &org, &start("replace", "org_master", "online"))
        .await
        .unwrap();
    let mut form = filled("mail", 1);
    form.certificate_serial = theirs.clone();
    form.replace_reason = "USB-KEY 遗失".into();
    form.replace_cause = "lost".into();
    submit(&w, &org, id, form.clone()).await;
    to_production(&w, &org, &reviewer, id).await;
    let e = applications::produce(&w.app, &operator, id, &with_csr(csr(dir.path(), "x"), ""))
        .await
        .unwrap_err();
    assert_eq!(refused(e), "production.certificate_not_found");

    // The order for our own.
    let id = applications::start(&w.app, &org, &start("replace", "org_master", "online"))
        .await
        .unwrap();
    form.certificate_serial = serial.clone();
    submit(&w, &org, id, form).await;
    to_production(&w, &org, &reviewer, id).await;
    let crl_before = w.app.ca().unwrap().revision();
    let made = applications::produce(&w.app, &operator, id, &with_csr(csr(dir.path(), "new"), ""))
        .await
        .unwrap();
    assert_eq!(made.revoked.as_deref(), Some(serial.as_str()));
    let old = app::ca::certificate(&w.app, &operator, &serial)
        .await
        .unwrap();
    assert_eq!(
        old.status,
        app::ca::certificates::CertificateStatus::Revoked
    );
    assert_eq!(old.revocation_reason.as_deref(), Some("keyCompromise"));
    assert!(
        w.app.ca().unwrap().revision() > crl_before,
        "a new CRL lists it"
    );
    let new = made.certificate.unwrap();
    assert_eq!(new.not_after, old.not_after, "runs to the old one's end");
    assert_eq!(status(&w, &org, id).await, Status::AwaitingShipment);

    // 注销 of the replacement: no key needed, revoked as cessationOfOperation.
    let id = applications::start(&w.app, &org, &start("cancel", "org_master", "online"))
        .await
        .unwrap();
    let mut form = filled("", 1);
    form.certificate_serial = new.serial.clone();
    submit(&w, &org, id, form).await;
    to_production(&w, &org, &reviewer, id).await;
    let done = applications::produce(&w.app, &operator, id, &ProduceInput::default())
        .await
        .unwrap();
    assert!(done.certificate.is_none());
    let gone = app::ca::certificate(&w.app, &operator, &new.serial)
        .await
        .unwrap();
    assert_eq!(
        gone.revocation_reason.as_deref(),
        Some("cessationOfOperation")
    );
    assert_eq!(status(&w, &org, id).await, Status::Completed);
}

#[tokio::test]
async fn concurrent_productions_share_commits_and_one_order_is_produced_once() {
    let w = World::new().await.with_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let org = w.org(21).await;
    let reviewer = w.staff(21, "reviewer").await;
    let operator = w.staff(22, "operator").await;
    let mut orders = Vec::new();
    for _ in 0..12 {
        let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
            .await
            .unwrap();
        submit(&w, &org, id, filled("download", 1)).await;
        to_production(&w, &org, &reviewer, id).await;
        orders.push(id);
    }
    let inputs: Vec<ProduceInput> = (0..orders.len() + 4)
        .map(|i| with_csr(csr(dir.path(), &format!("c{i}")), ""))
        .collect();
    // Every order once, and the first four twice more: each order gets one certificate. A
    // second production of one order is refused however it meets the first: read before
    // the first committed (changed meanwhile), after it (not awaiting), or in between
    // (the quantity reached).
    let mut tasks = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let app = w.app.clone();
        let op = operator.clone();
        let id = orders[i % orders.len()];
        tasks.push(tokio::spawn(async move {
            applications::produce(&app, &op, id, &input)
                .await
                .map(|p| p.complete)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(true) => ok += 1,
            Ok(false) => panic!("quantity 1 completes"),
            Err(Error::Refused(k)) => assert!(
                [
                    "application.changed_meanwhile",
                    "production.not_awaiting",
                    "production.quantity_reached"
                ]
                .contains(&k),
                "{k}"
            ),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok, orders.len());
    for id in orders {
        let v = applications::view(&w.app, &org, id).await.unwrap();
        assert_eq!(v.certificates.len(), 1, "one certificate per order");
        assert_eq!(v.status, Status::Completed);
    }
}
