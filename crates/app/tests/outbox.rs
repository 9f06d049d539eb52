//! The e-mail outbox: a status change queues a mail, the sender delivers it through an
//! SMTP server run by the test, once, however many senders race; refusals and retries
//! are recorded; admins read the outbox. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use app::applications::{self, StartInput};
use app::outbox::{self, Delivery, MAX_ATTEMPTS};
use app::{Actor, Clock, Error};
use domain::ids::ApplicationId;
use jiff::SignedDuration;
use mail::testing::{Behaviour, Parsed, TestServer};
use store::outbox::{ClaimRules, MailStatus};
use support::World;

/// Starts an application and withdraws it: one status change (草稿 → 已撤回), so one
/// notification and one e-mail to the organisation's registered address.
async fn status_change(w: &World, org: &Actor) -> (ApplicationId, String) {
    let id = applications::start(
        &w.app,
        org,
        &StartInput {
            kind: "new".into(),
            cert_type: "org_master".into(),
            channel: "online".into(),
            agree_terms: "yes".into(),
            ..StartInput::default()
        },
    )
    .await
    .unwrap();
    applications::withdraw(&w.app, org, id).await.unwrap();
    let order = applications::view(&w.app, org, id)
        .await
        .unwrap()
        .order_number;
    (id, order)
}

async fn outbox_of(w: &World, admin: &Actor, status: &str) -> Vec<app::outbox::OutboxMailView> {
    outbox::list(&w.app, admin, status).await.unwrap().mails
}

#[tokio::test]
async fn a_status_change_is_mailed_once() {
    let w = World::new().await;
    let org = w.org(1).await;
    let admin = w.staff(1, "admin").await;
    let (id, order) = status_change(&w, &org).await;
    let mut server = TestServer::start(Behaviour::default()).await;
    let mailer = server.mailer();

    let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!(
        done,
        Delivery {
            sent: 1,
            ..Delivery::default()
        }
    );
    let received = server.take_all();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["h1@example.com".to_string()]);
    let parsed = Parsed::new(&received[0].data);
    let subject = parsed.decoded_header("Subject");
    assert!(subject.contains(&order), "{subject}");
    assert!(subject.contains("已撤回"), "{subject}");
    let body = parsed.decoded_body();
    assert!(
        body.contains(&format!("http://certdesk.test/orders/{id}")),
        "{body}"
    );

    // Nothing is due any more: a second round sends nothing.
    let again = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!(again, Delivery::default());
    assert!(server.take_all().is_empty());

    let mails = outbox_of(&w, &admin, "sent").await;
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].attempts, mails[0].sent_at.is_some()), (1, true));
    assert!(outbox_of(&w, &admin, "pending").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_senders_deliver_each_mail_once() {
    let w = World::new().await;
    let org = w.org(2).await;
    let mut orders = HashSet::new();
    for _ in 0..12 {
        orders.insert(status_change(&w, &org).await.1);
    }
    let mut server = TestServer::start(Behaviour::default()).await;
    let mailer = server.mailer();

    // Four senders (as four `serve` instances would) at the same moment, each until
    // it finds nothing more to do.
    let mut senders = Vec::new();
    for _ in 0..4 {
        let app = w.app.clone();
        let mailer = mailer.clone();
        senders.push(tokio::spawn(async move {
            let mut total = Delivery::default();
            loop {
                let d = outbox::deliver_due(&app, &mailer).await.unwrap();
                if d.claimed() == 0 {
                    return total;
                }
                total.sent += d.sent;
                total.lost += d.lost;
            }
        }));
    }
    let mut sent = 0;
    for s in senders {
        let total = s.await.unwrap();
        assert_eq!(total.lost, 0);
        sent += total.sent;
    }
    assert_eq!(sent, 12);
    let received = server.take_all();
    let subjects: Vec<String> = received
        .iter()
        .map(|r| Parsed::new(&r.data).decoded_header("Subject"))
        .collect();
    assert_eq!(received.len(), 12, "{subjects:?}");
    for order in &orders {
        assert_eq!(
            subjects
                .iter()
                .filter(|s| s.contains(order.as_str()))
                .count(),
            1,
            "{order} in {subjects:?}"
        );
    }
}

#[tokio::test]
async fn a_lease_keeps_a_mail_from_a_second_sender_until_it_runs_out() {
    let w = World::new().await;
    let org = w.org(3).await;
    status_change(&w, &org).await;
    let now = w.clock.now();
    let rules = ClaimRules {
        now,
        lease_until: now + outbox::LEASE,
        limit: 10,
        max_attempts: MAX_ATTEMPTS,
    };
    let mut conn = w.app.store().conn().await.unwrap();
    let first = store::outbox::claim_due(&mut conn, rules, "token-a")
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let second = store::outbox::claim_due(&mut conn, rules, "token-b")
        .await
        .unwrap();
    assert!(second.is_empty(), "leased: not taken twice");

    // The first sender went quiet past its lease: another takes the mail, and the
    // first can no longer record an outcome over it.
    let later = now + outbox::LEASE + SignedDuration::from_secs(1);
    let third = store::outbox::claim_due(
        &mut conn,
        ClaimRules {
            now: later,
            lease_until: later + outbox::LEASE,
            ..rules
        },
        "token-c",
    )
    .await
    .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 2);
    assert!(
        !store::outbox::mark_sent(&mut conn, &first[0], later)
            .await
            .unwrap()
    );
    assert!(
        store::outbox::mark_sent(&mut conn, &third[0], later)
            .await
            .unwrap()
    );
    let sent = store::outbox::list_recent(&mut conn, Some(MailStatus::Sent), 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_ends_failed_and_is_not_retried() {
    let w = World::new().await;
    let org = w.org(4).await;
    let admin = w.staff(4, "admin").await;
    status_change(&w, &org).await;
    let mut server = TestServer::start(Behaviour {
        rcpt_replies: vec![(
            "h4@example.com".into(),
            "550 5.1.1 <h4@example.com>: no such mailbox",
        )],
        ..Behaviour::default()
    })
    .await;
    let mailer = server.mailer();

    let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!((done.failed, done.sent, done.retried), (1, 0, 0));
    server.assert_nothing_delivered();
    let failed = outbox_of(&w, &admin, "failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 1);
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        failed[0].last_error
    );

    w.clock.advance(SignedDuration::from_hours(24));
    server.set_behaviour(Behaviour::default());
    let again = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!(again, Delivery::default());
    server.assert_nothing_delivered();
}

#[tokio::test]
async fn a_transient_failure_is_retried_after_a_growing_backoff() {
    let w = World::new().await;
    let org = w.org(5).await;
    let admin = w.staff(5, "admin").await;
    status_change(&w, &org).await;
    let mut server = TestServer::start(Behaviour {
        rcpt_reply: Some("450 4.2.0 mailbox busy, try later"),
        ..Behaviour::default()
    })
    .await;
    let mailer = server.mailer();

    let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!((done.retried, done.sent, done.failed), (1, 0, 0));
    let pending = outbox_of(&w, &admin, "pending").await;
    assert_eq!(pending[0].attempts, 1);
    // Stored to the microsecond.
    assert_eq!(
        pending[0].next_attempt_at.map(|t| t.as_microsecond()),
        Some((w.clock.now() + outbox::backoff(1)).as_microsecond())
    );

    // Not before its backoff.
    assert_eq!(
        outbox::deliver_due(&w.app, &mailer).await.unwrap(),
        Delivery::default()
    );
    w.clock
        .advance(outbox::backoff(1) + SignedDuration::from_secs(1));
    let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!(done.retried, 1, "tried again, still busy");
    assert_eq!(outbox_of(&w, &admin, "pending").await[0].attempts, 2);

    // The server recovers: the next attempt delivers.
    server.set_behaviour(Behaviour::default());
    w.clock
        .advance(outbox::backoff(2) + SignedDuration::from_secs(1));
    let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
    assert_eq!(done.sent, 1);
    assert_eq!(server.take_all().len(), 1);
    let sent = outbox_of(&w, &admin, "sent").await;
    assert_eq!(sent[0].attempts, 3);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let w = World::new().await;
    let org = w.org(6).await;
    let admin = w.staff(6, "admin").await;
    status_change(&w, &org).await;
    let server = TestServer::start(Behaviour {
        rcpt_reply: Some("421 4.3.0 try again later"),
        ..Behaviour::default()
    })
    .await;
    let mailer = server.mailer();

    for attempt in 1..=MAX_ATTEMPTS {
        let done = outbox::deliver_due(&w.app, &mailer).await.unwrap();
        assert_eq!(done.claimed(), 1, "attempt {attempt}");
        w.clock
            .advance(outbox::MAX_BACKOFF + SignedDuration::from_secs(1));
    }
    let failed = outbox_of(&w, &admin, "failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, MAX_ATTEMPTS);
    assert_eq!(
        outbox::deliver_due(&w.app, &mailer).await.unwrap(),
        Delivery::default()
    );
}

#[test]
fn backoff_doubles_up_to_its_ceiling() {
    assert_eq!(outbox::backoff(1), SignedDuration::from_mins(1));
    assert_eq!(outbox::backoff(2), SignedDuration::from_mins(2));
    assert_eq!(outbox::backoff(4), SignedDuration::from_mins(8));
    assert_eq!(outbox::backoff(30), outbox::MAX_BACKOFF);
}

#[tokio::test]
async fn without_smtp_mail_stays_pending_for_admins_to_read() {
    let w = World::new().await;
    let org = w.org(7).await;
    let admin = w.staff(7, "admin").await;
    let (id, order) = status_change(&w, &org).await;

    let list = outbox::list(&w.app, &admin, "").await.unwrap();
    assert_eq!(
        (list.counts.pending, list.counts.sent, list.counts.failed),
        (1, 0, 0)
    );
    let mail = &list.mails[0];
    assert_eq!(mail.status, "pending");
    assert_eq!(mail.to, "h7@example.com");
    assert_eq!(mail.attempts, 0);
    assert!(mail.subject.contains(&order));
    assert!(mail.body.contains(&format!("/orders/{id}")));
    assert_eq!(outbox_of(&w, &admin, "pending").await.len(), 1);
    assert!(outbox_of(&w, &admin, "sent").await.is_empty());
    match outbox::list(&w.app, &admin, "bounced").await {
        Err(Error::Invalid(f)) => assert_eq!(f.get("status"), Some("outbox.status_unknown")),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn only_admins_read_the_outbox() {
    let w = World::new().await;
    let org = w.org(8).await;
    status_change(&w, &org).await;
    for who in [
        org.clone(),
        w.staff(8, "reviewer").await,
        w.staff(9, "operator").await,
        w.staff(10, "finance").await,
    ] {
        assert!(
            matches!(outbox::list(&w.app, &who, "").await, Err(Error::Forbidden)),
            "{:?}",
            who.role
        );
    }
}

#[tokio::test]
async fn the_background_sender_delivers_and_stops_when_told() {
    let w = World::new().await;
    let org = w.org(11).await;
    let mut server = TestServer::start(Behaviour::default()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sender = tokio::spawn(outbox::run_sender(
        w.app.clone(),
        server.mailer(),
        Duration::from_millis(50),
        async move {
            let _ = stopped.await;
        },
    ));
    status_change(&w, &org).await;

    let mut received = Vec::new();
    for _ in 0..200 {
        received.extend(server.take_all());
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(received.len(), 1);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), sender)
        .await
        .expect("the sender stops")
        .unwrap();
}
