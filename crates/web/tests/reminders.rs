//! Expiry reminders: 30, 7 and 1 days before a certificate ends, each once, however many
//! instances run the job; a late job sends only the nearest threshold; revoked, superseded
//! and already-renewing certificates get none. The e-mail waits in the outbox with the link
//! that starts 延期, and 消息通知 shows the reminder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::applications::{self, ApplicationInput, StartInput, SubmitInput};
use app::notifications::{self, EXPIRY_REMINDER, NotificationView};
use app::reminders::{self, Reminded};
use app::{Actor, Clock as _};
use domain::account::Role;
use domain::application::CertType;
use domain::ident::Uscc;
use domain::ids::{CertificateId, OrganisationId, UserId};
use jiff::SignedDuration;
use testkit::{OrgFixture, TestApp};

const DAY: i64 = 24;

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// Issues an organisation certificate for `org`, held by `holder`, ending `ends_in` from now.
async fn issue(
    t: &TestApp,
    org: &OrgFixture,
    holder: UserId,
    ends_in: SignedDuration,
    replaces: Option<CertificateId>,
) -> app::ca::IssuedCertificate {
    let operator = t.actor(&t.staff(Role::Operator).await).await;
    let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256).unwrap();
    let now = t.clock.now();
    app::ca::issue(
        &t.app,
        &operator,
        &app::ca::IssueRequest {
            subject: pki::SubjectData {
                organisation: Some(pki::Organisation {
                    name: org.name.clone(),
                    code: domain::organisation::CreditCode::Uscc(Uscc::parse(&org.uscc).unwrap()),
                }),
                ..pki::SubjectData::default()
            },
            cert_type: CertType::OrgMaster,
            not_before: now - hours(1),
            not_after: now + ends_in,
            public_key: key.public_key().unwrap(),
            application: None,
            organisation: Some(OrganisationId::parse(&org.id).unwrap()),
            holder: Some(holder),
            token_serial: None,
            replaces,
        },
    )
    .await
    .unwrap()
}

async fn reminders_of(t: &TestApp, who: &Actor) -> Vec<NotificationView> {
    notifications::recent(&t.app, who)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.message_key == EXPIRY_REMINDER)
        .collect()
}

/// The reminder mails in the outbox, newest first.
async fn reminder_mails(t: &TestApp) -> Vec<app::outbox::OutboxMailView> {
    app::outbox::list(&t.app, &Actor::system(), "")
        .await
        .unwrap()
        .mails
        .into_iter()
        .filter(|m| m.subject.contains("到期"))
        .collect()
}

fn sent(n: u32) -> Reminded {
    Reminded {
        certificates: n,
        under_way: 0,
    }
}

#[tokio::test]
async fn reminders_go_out_at_30_7_and_1_days_each_once() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let admin = t.actor(&org.admin).await;
    let cert = issue(&t, &org, admin.id, hours(40 * DAY), None).await;

    // 40 days left: nothing yet.
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));

    // 30 days minus an hour: the 30-day reminder, once.
    t.clock.advance(hours(10 * DAY + 1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));
    let list = reminders_of(&t, &admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].certificate_serial, cert.serial);
    assert_eq!(list[0].days_left, Some(30));
    let link = format!(
        "/orders/new?kind=renew&cert_type=org_master&certificate={}",
        cert.serial
    );
    assert_eq!(list[0].renew_link.as_deref(), Some(link.as_str()));

    // The e-mail to the holder, with the link that starts 延期 on this service.
    let mails = reminder_mails(&t).await;
    assert_eq!(mails.len(), 1);
    let email = format!(
        "handler{}@example.com",
        org.admin.name.trim_start_matches("经办人")
    );
    assert_eq!(mails[0].to, email);
    assert!(
        mails[0].subject.contains("单位主锁"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].body.contains(&format!("{}{link}", t.url)),
        "{}",
        mails[0].body
    );
    assert!(mails[0].body.contains(&cert.serial), "{}", mails[0].body);
    assert!(mails[0].body.contains("还剩 30 天"), "{}", mails[0].body);

    // Between thresholds nothing more; at 7 days minus an hour the 7-day one.
    t.clock.advance(hours(10 * DAY));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));
    t.clock.advance(hours(13 * DAY));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));

    // At 20 hours left the 1-day one.
    t.clock.advance(hours(6 * DAY + 3));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));

    // Ended: nothing more, ever.
    t.clock.advance(hours(DAY));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));

    let days: Vec<Option<i64>> = reminders_of(&t, &admin)
        .await
        .iter()
        .map(|n| n.days_left)
        .collect();
    assert_eq!(days, vec![Some(1), Some(7), Some(30)], "newest first");
    assert_eq!(reminder_mails(&t).await.len(), 3);

    // 消息通知 shows the reminder with its 办理延期 link.
    let web = t.web();
    web.sign_in(&org.admin).await;
    let page = web.visit("/notifications").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("证书即将到期"), "{}", page.html);
    assert!(page.contains(&cert.serial), "{}", page.html);
    assert!(page.contains(&link.replace('&', "&#38;")), "{}", page.html);
    // The API carries the same.
    let api = t.api().signed_in(&org.admin).await;
    let (status, body) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200);
    let first = &body["items"][0];
    assert_eq!(first["message_key"], EXPIRY_REMINDER);
    assert_eq!(first["certificate_serial"], cert.serial.as_str());
    assert_eq!(first["renew_link"], link.as_str());
}

#[tokio::test]
async fn a_late_job_sends_only_the_nearest_threshold() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let admin = t.actor(&org.admin).await;
    issue(&t, &org, admin.id, hours(40 * DAY), None).await;

    // The job was down from day 40 to 12 hours before the end: one reminder, the 1-day one.
    t.clock.advance(hours(40 * DAY - 12));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));
    let list = reminders_of(&t, &admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].days_left, Some(1));
    assert_eq!(reminder_mails(&t).await.len(), 1);

    // Down through the 30-day moment only: the 7-day one, then the 1-day one; never the 30.
    let other = t.register_org().await;
    let other_admin = t.actor(&other.admin).await;
    issue(&t, &other, other_admin.id, hours(40 * DAY), None).await;
    t.clock.advance(hours(35 * DAY));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    t.clock.advance(hours(5 * DAY - 6));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(0));
    let days: Vec<Option<i64>> = reminders_of(&t, &other_admin)
        .await
        .iter()
        .map(|n| n.days_left)
        .collect();
    assert_eq!(days, vec![Some(1), Some(5)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_instances_send_each_reminder_once() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let admin = t.actor(&org.admin).await;
    for _ in 0..5 {
        issue(&t, &org, admin.id, hours(10 * DAY), None).await;
    }
    // Four instances run the job at the same moment.
    let mut jobs = Vec::new();
    for _ in 0..4 {
        let app = t.app.clone();
        jobs.push(tokio::spawn(async move {
            reminders::send_due(&app).await.unwrap()
        }));
    }
    let mut total = 0;
    for j in jobs {
        total += j.await.unwrap().certificates;
    }
    assert_eq!(total, 5);
    assert_eq!(reminders_of(&t, &admin).await.len(), 5);
    assert_eq!(reminder_mails(&t).await.len(), 5);
}

#[tokio::test]
async fn revoked_superseded_and_renewing_certificates_get_none() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let admin = t.actor(&org.admin).await;
    let operator = t.actor(&t.staff(Role::Operator).await).await;

    let revoked = issue(&t, &org, admin.id, hours(20 * DAY), None).await;
    app::ca::revoke(
        &t.app,
        &operator,
        &revoked.serial,
        pki::RevocationReason::CessationOfOperation,
    )
    .await
    .unwrap();

    // Superseded: a newer certificate replaces it (its own end is far off).
    let old = issue(&t, &org, admin.id, hours(20 * DAY), None).await;
    issue(&t, &org, admin.id, hours(400 * DAY), Some(old.id)).await;

    // Renewing: a submitted 延期 names it (with leading zeros and colons, as people type).
    let renewing = issue(&t, &org, admin.id, hours(20 * DAY), None).await;
    let id = applications::start(
        &t.app,
        &admin,
        &StartInput {
            kind: "renew".into(),
            cert_type: "org_master".into(),
            channel: "online".into(),
            agree_terms: "yes".into(),
            ..StartInput::default()
        },
    )
    .await
    .unwrap();
    let view = applications::view(&t.app, &admin, id).await.unwrap();
    for r in view.requirements.iter().filter(|r| r.required) {
        applications::upload_document(&t.app, &admin, id, &r.document_kind, "scan.png", PNG)
            .await
            .unwrap();
    }
    let typed: String = format!("00{}", renewing.serial.to_ascii_lowercase())
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":");
    let form = ApplicationInput {
        handler_name: "张三".into(),
        handler_id_number: testkit::ids::id_number(t.unique()),
        handler_mobile: t.mobile(),
        handler_email: "zhangsan@example.com".into(),
        quantity: "1".into(),
        years: "1".into(),
        delivery: "download".into(),
        certificate_serial: typed,
        ..ApplicationInput::default()
    };
    let submitted = applications::submit(
        &t.app,
        &admin,
        id,
        &SubmitInput {
            form: form.clone(),
            acknowledge: "yes".into(),
            version: None,
        },
    )
    .await;
    assert!(submitted.is_ok(), "{submitted:?}");

    // A certificate in the same window with nothing under way is the control.
    let plain = issue(&t, &org, admin.id, hours(20 * DAY), None).await;

    let done = reminders::send_due(&t.app).await.unwrap();
    assert_eq!(
        done,
        Reminded {
            certificates: 1,
            under_way: 1
        }
    );
    let list = reminders_of(&t, &admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].certificate_serial, plain.serial);

    // Once the renewal is withdrawn, the certificate is reminded of after all.
    applications::withdraw(&t.app, &admin, id).await.unwrap();
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    let serials: Vec<String> = reminders_of(&t, &admin)
        .await
        .into_iter()
        .map(|n| n.certificate_serial)
        .collect();
    assert!(serials.contains(&renewing.serial), "{serials:?}");
    assert!(!serials.contains(&revoked.serial));
    assert!(!serials.contains(&old.serial));
}

#[tokio::test]
async fn an_organisation_certificate_reminds_its_holder_and_the_admins() {
    let t = TestApp::start().await;
    let org = t.register_org().await;
    let admin = t.actor(&org.admin).await;
    let n = t.unique();
    let added = app::organisations::add_member(
        &t.app,
        &admin,
        OrganisationId::parse(&org.id).unwrap(),
        &app::organisations::AddMemberInput {
            name: format!("项目负责人{n}"),
            mobile: testkit::ids::mobile(n),
            email: format!("member{n}@example.com"),
            role: String::new(),
        },
    )
    .await
    .unwrap();
    issue(&t, &org, added.user_id, hours(5 * DAY), None).await;
    assert_eq!(reminders::send_due(&t.app).await.unwrap(), sent(1));
    // Who was told: the holder (a member) and the organisation's admin.
    let mut to: Vec<String> = reminder_mails(&t).await.into_iter().map(|m| m.to).collect();
    to.sort();
    let admin_email = format!(
        "handler{}@example.com",
        org.admin.name.trim_start_matches("经办人")
    );
    let mut expected = vec![admin_email, format!("member{n}@example.com")];
    expected.sort();
    assert_eq!(to, expected);
    assert_eq!(reminders_of(&t, &admin).await.len(), 1);
}

/// The smallest PNG the content check accepts.
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
