//! Applications through the app's public functions, on SQLite and PostgreSQL:
//! every default journey of the seeds up to 待制证, and the refusals around them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::applications::{
    self, ApplicationInput, ListQuery, ReviewDecision, ReviewInput, StartInput, SubmitInput,
};
use app::{Actor, Error, payments};
use domain::application::{Status, Transition};
use domain::ids::ApplicationId;
use support::{PDF, PNG, World, id_number, mobile};

fn start(kind: &str, cert_type: &str, channel: &str) -> StartInput {
    StartInput {
        kind: kind.into(),
        cert_type: cert_type.into(),
        channel: channel.into(),
        agree_terms: "yes".into(),
        ..StartInput::default()
    }
}

fn filled(delivery: &str) -> ApplicationInput {
    ApplicationInput {
        handler_name: "张三".into(),
        handler_id_number: id_number(7),
        handler_mobile: mobile(77),
        handler_email: "zhangsan@example.com".into(),
        quantity: "2".into(),
        years: "1".into(),
        delivery: delivery.into(),
        mail_address: "杭州市西湖区转塘街道1号".into(),
        mail_recipient: "张三".into(),
        mail_phone: mobile(78),
        ..ApplicationInput::default()
    }
}

fn submit_input(form: ApplicationInput) -> SubmitInput {
    SubmitInput {
        form,
        acknowledge: "yes".into(),
        version: None,
    }
}

async fn upload_required(w: &World, who: &Actor, id: ApplicationId) {
    let view = applications::view(&w.app, who, id).await.unwrap();
    for r in view.requirements.iter().filter(|r| r.required) {
        applications::upload_document(&w.app, who, id, &r.document_kind, "scan.png", PNG)
            .await
            .unwrap();
    }
}

async fn status(w: &World, who: &Actor, id: ApplicationId) -> Status {
    applications::view(&w.app, who, id).await.unwrap().status
}

async fn pay_in_sandbox(w: &World, who: &Actor, id: ApplicationId) -> String {
    let p = payments::pay(&w.app, who, id, None).await.unwrap();
    let trade = p.code_url.rsplit('/').next().unwrap().to_owned();
    payments::sandbox_confirm(&w.app, &trade).await.unwrap();
    trade
}

fn keys(e: Error) -> Vec<(&'static str, &'static str)> {
    match e {
        Error::Invalid(f) => f.iter().map(|e| (e.field, e.key)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn remote_new_goes_fill_pay_first_final_to_production() {
    let w = World::new().await;
    let org = w.org(1).await;
    let reviewer = w.staff(1, "reviewer").await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    assert_eq!(status(&w, &org, id).await, Status::Draft);

    // A draft keeps whatever was typed, even when it is wrong.
    let mut bad = filled("mail");
    bad.handler_id_number = "110105199001010001".into();
    bad.quantity = "abc".into();
    applications::save(&w.app, &org, id, &bad, None)
        .await
        .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.form, bad, "a draft is kept as typed");

    // Submitting names every problem, documents included, and keeps the form.
    let errors = keys(
        applications::submit(
            &w.app,
            &org,
            id,
            &SubmitInput {
                acknowledge: String::new(),
                ..submit_input(bad.clone())
            },
        )
        .await
        .unwrap_err(),
    );
    for field in [
        "handler_id_number",
        "quantity",
        "acknowledge",
        "handler_id",
        "business_licence",
        "power_of_attorney",
        "application_form",
    ] {
        assert!(
            errors.iter().any(|(f, _)| *f == field),
            "{field} in {errors:?}"
        );
    }
    assert!(errors.contains(&("business_licence", "document.missing")));
    assert_eq!(
        applications::view(&w.app, &org, id).await.unwrap().form,
        bad
    );

    upload_required(&w, &org, id).await;
    applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
        .await
        .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::AwaitingPayment);
    // 300 元 × 2 certificates × 1 year + 10 元 shipping.
    assert_eq!(view.amount, 30_000 * 2 + 1_000);
    let quote = view.quote.unwrap();
    assert_eq!((quote.certificates.0, quote.shipping.0), (60_000, 1_000));
    assert!(view.actions.contains(&"pay"));

    // A second submit (a double click) changes nothing.
    assert!(
        applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
            .await
            .is_err()
    );

    // Paying twice (a double click, then the notification again) records one payment.
    let first = payments::pay(&w.app, &org, id, None).await.unwrap();
    let again = payments::pay(&w.app, &org, id, None).await.unwrap();
    assert_eq!(first.out_trade_no, again.out_trade_no, "one open trade");
    let trade = first.code_url.rsplit('/').next().unwrap().to_owned();
    payments::sandbox_confirm(&w.app, &trade).await.unwrap();
    payments::sandbox_confirm(&w.app, &trade).await.unwrap();
    payments::refresh(&w.app, &org, id).await.unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::AwaitingFirstReview);
    assert!(view.paid);
    assert!(view.due_on.is_some(), "the review has an SLA date");
    assert_eq!(
        view.history
            .iter()
            .filter(|e| e.transition == Transition::Paid)
            .count(),
        1
    );
    assert!(!view.actions.contains(&"withdraw"), "paid: 不能退办");
    assert!(matches!(
        applications::withdraw(&w.app, &org, id).await,
        Err(Error::Refused("transition.withdraw_after_payment"))
    ));

    // 初审 then 终审, which needs the paper materials.
    applications::review(
        &w.app,
        &reviewer,
        id,
        ReviewDecision::Approve,
        &ReviewInput::default(),
    )
    .await
    .unwrap();
    assert_eq!(status(&w, &org, id).await, Status::AwaitingFinalReview);
    let errors = keys(
        applications::review(
            &w.app,
            &reviewer,
            id,
            ReviewDecision::Approve,
            &ReviewInput::default(),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(errors, [("paper_received", "review.paper_required")]);
    applications::review(
        &w.app,
        &reviewer,
        id,
        ReviewDecision::Approve,
        &ReviewInput {
            paper_received: "yes".into(),
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::AwaitingProduction);
    let transitions: Vec<Transition> = view.history.iter().map(|e| e.transition).collect();
    assert_eq!(
        transitions,
        [
            Transition::Created,
            Transition::Submitted,
            Transition::Paid,
            Transition::Approved,
            Transition::Approved
        ]
    );
    assert_eq!(view.history.last().unwrap().actor_name, reviewer.name);
    assert!(
        view.history
            .last()
            .unwrap()
            .comment
            .contains("纸质材料已收到")
    );

    // The applicant was told at each step, in the app and by e-mail.
    assert!(
        app::notifications::unread_count(&w.app, &org)
            .await
            .unwrap()
            >= 4
    );
}

#[tokio::test]
async fn on_site_new_is_reviewed_before_payment() {
    let w = World::new().await;
    let org = w.org(2).await;
    let _reviewer = w.staff(2, "reviewer").await;
    let id = applications::start(&w.app, &org, &start("new", "org_staff", "onsite"))
        .await
        .unwrap();
    upload_required(&w, &org, id).await;
    // On site, keys are handed over at a service point: one must be chosen.
    let errors = keys(
        applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
            .await
            .unwrap_err(),
    );
    assert!(
        errors.contains(&("delivery", "delivery.unknown")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_return_goes_back_to_the_applicant_and_resubmission_keeps_the_payment() {
    let w = World::new().await;
    let org = w.org(3).await;
    let reviewer = w.staff(3, "reviewer").await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    upload_required(&w, &org, id).await;
    applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
        .await
        .unwrap();
    pay_in_sandbox(&w, &org, id).await;

    let errors = keys(
        applications::review(
            &w.app,
            &reviewer,
            id,
            ReviewDecision::Return,
            &ReviewInput::default(),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        errors,
        [("comment", "review.comment_required")],
        "a return needs its reason"
    );
    applications::review(
        &w.app,
        &reviewer,
        id,
        ReviewDecision::Return,
        &ReviewInput {
            comment: "营业执照不清晰".into(),
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::Returned);
    assert_eq!(view.returned_reason.as_deref(), Some("营业执照不清晰"));
    assert!(view.paid);

    // The paid quantity cannot change; the rest can, and resubmission skips payment.
    let mut more = filled("mail");
    more.quantity = "3".into();
    assert!(matches!(
        applications::save(&w.app, &org, id, &more, None).await,
        Err(Error::Refused("application.paid_terms_fixed"))
    ));
    applications::upload_document(&w.app, &org, id, "business_licence", "clear.pdf", PDF)
        .await
        .unwrap();
    applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
        .await
        .unwrap();
    assert_eq!(status(&w, &org, id).await, Status::AwaitingFirstReview);
}

#[tokio::test]
async fn a_rejection_is_final_and_refunds() {
    let w = World::new().await;
    let org = w.org(4).await;
    let reviewer = w.staff(4, "reviewer").await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    upload_required(&w, &org, id).await;
    applications::submit(&w.app, &org, id, &submit_input(filled("pickup_missing")))
        .await
        .unwrap_err();
    applications::submit(&w.app, &org, id, &submit_input(filled("mail")))
        .await
        .unwrap();
    let trade = pay_in_sandbox(&w, &org, id).await;
    applications::review(
        &w.app,
        &reviewer,
        id,
        ReviewDecision::Reject,
        &ReviewInput {
            comment: "非本单位申请".into(),
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::Rejected);
    assert_eq!(view.payment.unwrap().status, "refunded");
    assert_eq!(
        payments::sandbox_trade(&w.app, &trade)
            .await
            .unwrap()
            .status,
        "REFUND"
    );
}

#[tokio::test]
async fn replace_is_priced_by_the_reviewer_then_paid() {
    let w = World::new().await;
    let org = w.org(5).await;
    let reviewer = w.staff(5, "reviewer").await;
    let id = applications::start(&w.app, &org, &start("replace", "org_master", "online"))
        .await
        .unwrap();
    upload_required(&w, &org, id).await;
    let mut form = filled("mail");
    let errors = keys(
        applications::submit(&w.app, &org, id, &submit_input(form.clone()))
            .await
            .unwrap_err(),
    );
    assert!(errors.contains(&("certificate_serial", "field.required")));
    assert!(errors.contains(&("replace_reason", "field.required")));
    assert!(errors.contains(&("replace_cause", "field.required")));
    form.certificate_serial = "3a:0f:91:c2".into();
    form.replace_reason = "USB-KEY 遗失".into();
    form.replace_cause = "misplaced".into();
    let errors = keys(
        applications::submit(&w.app, &org, id, &submit_input(form.clone()))
            .await
            .unwrap_err(),
    );
    assert_eq!(errors, vec![("replace_cause", "replace_cause.unknown")]);
    form.replace_cause = "lost".into();
    form.new_key = "yes".into();
    applications::submit(&w.app, &org, id, &submit_input(form))
        .await
        .unwrap();
    assert_eq!(
        status(&w, &org, id).await,
        Status::AwaitingFirstReview,
        "补办 is reviewed first"
    );

    let errors = keys(
        applications::review(
            &w.app,
            &reviewer,
            id,
            ReviewDecision::Approve,
            &ReviewInput {
                overdue_months: "x".into(),
                overdue_fee: String::new(),
                ..ReviewInput::default()
            },
        )
        .await
        .unwrap_err(),
    );
    assert!(errors.contains(&("overdue_months", "review.overdue_months")));
    assert!(errors.iter().any(|(f, _)| *f == "overdue_fee"));
    applications::review(
        &w.app,
        &reviewer,
        id,
        ReviewDecision::Approve,
        &ReviewInput {
            overdue_months: "3".into(),
            overdue_fee: "50".into(),
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::AwaitingPayment);
    // 200 元 + 10 元 shipping + 50 元 overdue.
    assert_eq!(view.amount, 26_000);
    assert_eq!(view.quote.unwrap().overdue.0, 5_000);
    pay_in_sandbox(&w, &org, id).await;
    assert_eq!(status(&w, &org, id).await, Status::AwaitingProduction);
}

#[tokio::test]
async fn renew_online_is_approved_by_the_rules_after_payment() {
    let w = World::new().await;
    let org = w.org(6).await;
    let id = applications::start(&w.app, &org, &start("renew", "org_master", "online"))
        .await
        .unwrap();
    let mut form = filled("");
    form.certificate_serial = "0A1B2C".into();
    applications::submit(&w.app, &org, id, &submit_input(form))
        .await
        .unwrap();
    pay_in_sandbox(&w, &org, id).await;
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert_eq!(view.status, Status::AwaitingProduction);
    assert_eq!(
        view.history.last().unwrap().transition,
        Transition::AutoApproved
    );
}

#[tokio::test]
async fn withdrawal_only_before_payment() {
    let w = World::new().await;
    let org = w.org(7).await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    applications::withdraw(&w.app, &org, id).await.unwrap();
    assert_eq!(status(&w, &org, id).await, Status::Withdrawn);
    assert!(applications::withdraw(&w.app, &org, id).await.is_err());
}

#[tokio::test]
async fn another_organisation_sees_and_changes_nothing() {
    let w = World::new().await;
    let org = w.org(8).await;
    let other = w.org(9).await;
    let operator = w.staff(9, "operator").await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    let doc = applications::upload_document(&w.app, &org, id, "handler_id", "id.png", PNG)
        .await
        .unwrap();
    assert!(matches!(
        applications::view(&w.app, &other, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::save(&w.app, &other, id, &filled("mail"), None).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::submit(&w.app, &other, id, &submit_input(filled("mail"))).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::withdraw(&w.app, &other, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::upload_document(&w.app, &other, id, "handler_id", "x.png", PNG).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::download_document(&w.app, &other, id, doc).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::render_template(&w.app, &other, id, "application_form").await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        payments::pay(&w.app, &other, id, None).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::review(
            &w.app,
            &other,
            id,
            ReviewDecision::Approve,
            &ReviewInput::default()
        )
        .await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::review(
            &w.app,
            &operator,
            id,
            ReviewDecision::Approve,
            &ReviewInput::default()
        )
        .await,
        Err(Error::Forbidden)
    ));
    assert_eq!(
        applications::list(&w.app, &other, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        applications::list(&w.app, &org, &ListQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    // Staff read it and its documents.
    assert_eq!(
        applications::download_document(&w.app, &operator, id, doc)
            .await
            .unwrap()
            .content,
        PNG
    );
}

#[tokio::test]
async fn uploads_are_checked_by_content_and_nothing_bad_is_stored() {
    let w = World::new().await;
    let org = w.org(10).await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    for (name, content, key) in [
        (
            "fake.pdf",
            &b"MZ\x90\x00 not a pdf"[..],
            "document.unsupported_type",
        ),
        ("photo.jpg", PDF, "document.extension_mismatch"),
        ("empty.png", &b""[..], "document.empty"),
    ] {
        let errors = keys(
            applications::upload_document(&w.app, &org, id, "handler_id", name, content)
                .await
                .unwrap_err(),
        );
        assert_eq!(errors, [("handler_id", key)], "{name}");
    }
    let big = [PDF, &vec![0u8; 10 * 1024 * 1024][..]].concat();
    let errors = keys(
        applications::upload_document(&w.app, &org, id, "handler_id", "big.pdf", &big)
            .await
            .unwrap_err(),
    );
    assert_eq!(errors, [("handler_id", "document.too_large")]);
    let view = applications::view(&w.app, &org, id).await.unwrap();
    assert!(view.requirements.iter().all(|r| r.uploaded.is_none()));
}

#[tokio::test]
async fn templates_are_prefilled_docx() {
    let w = World::new().await;
    let org = w.org(11).await;
    let id = applications::start(&w.app, &org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    applications::save(&w.app, &org, id, &filled("mail"), None)
        .await
        .unwrap();
    let t = applications::render_template(&w.app, &org, id, "power_of_attorney")
        .await
        .unwrap();
    assert_eq!(t.file_name, "法人授权委托书.docx");
    assert!(t.content.starts_with(b"PK"), "a zip (docx)");
}

#[tokio::test]
async fn the_queue_lists_the_longest_waiting_first_and_exports_csv() {
    let w = World::new().await;
    let reviewer = w.staff(12, "reviewer").await;
    let mut ids = vec![];
    for n in 12..15 {
        let org = w.org(n).await;
        let id = applications::start(&w.app, &org, &start("replace", "org_master", "onsite"))
            .await
            .unwrap();
        upload_required(&w, &org, id).await;
        let mut form = filled("pickup");
        form.certificate_serial = "0A".into();
        form.replace_reason = "损坏".into();
        form.replace_cause = "damaged".into();
        form.service_point = String::new();
        // No service point exists yet in a fresh database: pickup cannot be chosen.
        let errors = keys(
            applications::submit(&w.app, &org, id, &submit_input(form))
                .await
                .unwrap_err(),
        );
        assert!(errors.contains(&("service_point", "service_point.choose")));
        ids.push((org, id));
        w.clock.advance(jiff::SignedDuration::from_secs(60));
    }
    let _ = &reviewer;
    let queue = applications::queue(&w.app, &reviewer, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(queue.total, 0, "nothing submitted");
    let csv = applications::export_csv(&w.app, &reviewer, &ListQuery::default())
        .await
        .unwrap();
    assert!(csv.starts_with("\u{feff}订单号,业务类型"));
    assert_eq!(csv.lines().count(), 4, "header and three orders");
    let (org, _) = &ids[0];
    assert!(matches!(
        applications::queue(&w.app, org, &ListQuery::default()).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        applications::export_csv(&w.app, org, &ListQuery::default()).await,
        Err(Error::Forbidden)
    ));
}
