//! Invoices through the app's public functions, on SQLite and PostgreSQL: the applicant asks
//! (before or after paying), the request waits for payment to enter finance's queue, finance
//! issues it with a number and a PDF, the applicant downloads it; what is wrong is refused
//! field by field and nothing typed is changed; the last details prefill the next order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::applications::{self, ApplicationInput, StartInput, SubmitInput};
use app::invoices::{self, InvoiceInput, InvoiceQuery, IssueInput, ShipInvoiceInput};
use app::{Actor, Error, payments};
use domain::ids::ApplicationId;
use support::{PDF, PNG, World, id_number, mobile};

async fn order(w: &World, who: &Actor) -> ApplicationId {
    let id = applications::start(
        &w.app,
        who,
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
    let view = applications::view(&w.app, who, id).await.unwrap();
    for r in view.requirements.iter().filter(|r| r.required) {
        applications::upload_document(&w.app, who, id, &r.document_kind, "scan.png", PNG)
            .await
            .unwrap();
    }
    applications::submit(
        &w.app,
        who,
        id,
        &SubmitInput {
            form: ApplicationInput {
                handler_name: "张三".into(),
                handler_id_number: id_number(7),
                handler_mobile: mobile(77),
                handler_email: "zhangsan@example.com".into(),
                quantity: "1".into(),
                years: "1".into(),
                delivery: "download".into(),
                ..ApplicationInput::default()
            },
            acknowledge: "yes".into(),
            version: None,
        },
    )
    .await
    .unwrap();
    id
}

async fn pay(w: &World, who: &Actor, id: ApplicationId) {
    let p = payments::pay(&w.app, who, id, None).await.unwrap();
    let trade = p.code_url.rsplit('/').next().unwrap().to_owned();
    payments::sandbox_confirm(&w.app, &trade).await.unwrap();
}

fn special() -> InvoiceInput {
    InvoiceInput {
        invoice_type: "e_special".into(),
        buyer_name: "济南某某科技有限公司".into(),
        tax_id: "913700007535433330".into(),
        buyer_address: "济南市汉峪金谷".into(),
        buyer_phone: "053188888888".into(),
        bank_name: "中国银行济南分行".into(),
        bank_account: "6217000000000000".into(),
        notify_mobile: "18769628833".into(),
        notify_email: "finance@example.com".into(),
        ..InvoiceInput::default()
    }
}

fn issue_input(number: &str) -> IssueInput {
    IssueInput {
        invoice_number: number.into(),
        issued_on: "2020-01-02".into(),
        ..IssueInput::default()
    }
}

fn fields(e: Error) -> Vec<(&'static str, &'static str)> {
    match e {
        Error::Invalid(f) => f.iter().map(|f| (f.field, f.key)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn queue(w: &World, finance: &Actor, status: &str) -> Vec<String> {
    invoices::queue(
        &w.app,
        finance,
        &InvoiceQuery {
            status: status.into(),
            q: String::new(),
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|s| s.order_number)
    .collect()
}

#[tokio::test]
async fn asked_before_paying_it_waits_then_finance_issues_and_the_applicant_downloads() {
    let w = World::new().await;
    let org = w.org(1).await;
    let finance = w.staff(1, "finance").await;
    let id = order(&w, &org).await;
    let number = applications::view(&w.app, &org, id)
        .await
        .unwrap()
        .order_number;

    let asked = invoices::request(&w.app, &org, id, &special())
        .await
        .unwrap();
    assert_eq!(asked.status, "awaiting_payment");
    assert!(asked.editable);
    assert!(
        queue(&w, &finance, "pending").await.is_empty(),
        "not paid yet"
    );
    assert!(matches!(
        invoices::issue(
            &w.app,
            &finance,
            id,
            &issue_input("25372000000012345678"),
            Some(PDF)
        )
        .await,
        Err(Error::Refused("invoice.not_paid"))
    ));

    pay(&w, &org, id).await;
    assert_eq!(queue(&w, &finance, "pending").await, vec![number.clone()]);
    let found = invoices::queue(
        &w.app,
        &finance,
        &InvoiceQuery {
            status: String::new(),
            q: "某某科技".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1, "found by part of the buyer's name");

    // Still the applicant's to change; a stale version is refused.
    let mut changed = special();
    changed.bank_name = "中国工商银行济南分行".into();
    changed.version = Some(asked.version);
    let v2 = invoices::request(&w.app, &org, id, &changed).await.unwrap();
    assert_eq!(v2.details.bank_name, "中国工商银行济南分行");
    assert!(matches!(
        invoices::request(&w.app, &org, id, &changed).await,
        Err(Error::Refused("invoice.changed_meanwhile"))
    ));

    // Finance: the number must fit the type, a PDF is required and must be one.
    let wrong = invoices::issue(&w.app, &finance, id, &issue_input("12345678"), Some(PNG))
        .await
        .unwrap_err();
    assert_eq!(
        fields(wrong),
        vec![
            ("invoice_number", "invoice.number_digital"),
            ("pdf", "invoice.pdf_not_pdf")
        ]
    );
    let mut future = issue_input("25372000000012345678");
    future.issued_on = "2999-01-01".into();
    let wrong = invoices::issue(&w.app, &finance, id, &future, None)
        .await
        .unwrap_err();
    assert_eq!(
        fields(wrong),
        vec![
            ("issued_on", "invoice.issued_on_future"),
            ("pdf", "invoice.pdf_required")
        ]
    );
    // Applicants cannot issue.
    assert!(matches!(
        invoices::issue(
            &w.app,
            &org,
            id,
            &issue_input("25372000000012345678"),
            Some(PDF)
        )
        .await,
        Err(Error::Forbidden)
    ));
    let issued = invoices::issue(
        &w.app,
        &finance,
        id,
        &issue_input("25372000000012345678"),
        Some(PDF),
    )
    .await
    .unwrap();
    assert_eq!(issued.status, "issued");
    assert_eq!(
        issued.invoice_number.as_deref(),
        Some("25372000000012345678")
    );
    assert!(queue(&w, &finance, "pending").await.is_empty());
    assert_eq!(queue(&w, &finance, "issued").await, vec![number.clone()]);

    // Issued: read-only, issued once.
    assert!(matches!(
        invoices::request(&w.app, &org, id, &special()).await,
        Err(Error::Refused("invoice.already_issued"))
    ));
    assert!(matches!(
        invoices::issue(
            &w.app,
            &finance,
            id,
            &issue_input("25372000000012345679"),
            Some(PDF)
        )
        .await,
        Err(Error::Refused("invoice.already_issued"))
    ));

    // 发票管理: the applicant's list and the PDF.
    let mine = invoices::list_own(&w.app, &org, &InvoiceQuery::default())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status, "issued");
    assert!(mine[0].has_pdf);
    let pdf = invoices::download_pdf(&w.app, &org, id).await.unwrap();
    assert_eq!(pdf.content, PDF);
    assert!(pdf.file_name.ends_with("25372000000012345678.pdf"));
    let outsider = w.org(2).await;
    assert!(matches!(
        invoices::download_pdf(&w.app, &outsider, id).await,
        Err(Error::Forbidden)
    ));
    assert!(
        invoices::list_own(&w.app, &outsider, &InvoiceQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let reviewer = w.staff(2, "reviewer").await;
    assert!(matches!(
        invoices::view(&w.app, &reviewer, id).await,
        Err(Error::Forbidden)
    ));

    // The applicant was told, in the app and by e-mail to the 接收邮箱; finance's act is audited.
    let told = app::notifications::recent(&w.app, &org).await.unwrap();
    assert!(
        told.iter()
            .any(|n| n.message_key == invoices::NOTIFICATION && n.status == "invoice_issued")
    );
    let mut conn = w.app.store().conn().await.unwrap();
    let audit = store::audit::for_subject(&mut conn, &id.to_text())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for a in ["invoice.request", "invoice.update", "invoice.issue"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let outbox = app::outbox::list(&w.app, &Actor::system(), "")
        .await
        .unwrap();
    let mails = outbox
        .mails
        .iter()
        .filter(|m| m.to == "finance@example.com" && m.subject.contains("发票"))
        .count();
    assert_eq!(mails, 1);
}

#[tokio::test]
async fn bad_fields_are_refused_each_with_its_message_and_nothing_is_stored() {
    let w = World::new().await;
    let org = w.org(3).await;
    let id = order(&w, &org).await;
    let mut bad = special();
    bad.buyer_name = "济南某某 科技有限公司".into();
    bad.tax_id = "9137-0000753543333".into();
    bad.buyer_phone = "0531-88888888".into();
    bad.bank_account.clear();
    bad.notify_mobile.clear();
    bad.notify_email = "finance@".into();
    let e = invoices::request(&w.app, &org, id, &bad).await.unwrap_err();
    assert_eq!(
        fields(e),
        vec![
            ("buyer_name", "invoice.special_chars"),
            ("tax_id", "tax_id.invalid_char"),
            ("buyer_phone", "invoice.special_chars"),
            ("bank_account", "invoice.bank_account_required"),
            ("notify_email", "email.domain"),
        ]
    );
    let section = invoices::for_order(&w.app, &org, id).await.unwrap();
    assert!(section.invoice.is_none());
    assert!(section.can_request);
}

#[tokio::test]
async fn the_last_details_prefill_the_next_order_of_the_organisation() {
    let w = World::new().await;
    let org = w.org(4).await;
    let first = order(&w, &org).await;
    let before = invoices::for_order(&w.app, &org, first).await.unwrap();
    assert_eq!(before.form, InvoiceInput::default());
    invoices::request(&w.app, &org, first, &special())
        .await
        .unwrap();
    let second = order(&w, &org).await;
    let next = invoices::for_order(&w.app, &org, second).await.unwrap();
    assert!(next.invoice.is_none());
    assert_eq!(next.form.buyer_name, "济南某某科技有限公司");
    assert_eq!(next.form.tax_id, "913700007535433330");
    assert_eq!(next.form.bank_account, "6217000000000000");
    // Another organisation starts empty.
    let other = w.org(5).await;
    let theirs = order(&w, &other).await;
    let empty = invoices::for_order(&w.app, &other, theirs).await.unwrap();
    assert_eq!(empty.form, InvoiceInput::default());
}

#[tokio::test]
async fn a_paper_invoice_is_mailed_or_picked_up_after_it_is_issued() {
    let w = World::new().await;
    let org = w.org(6).await;
    let finance = w.staff(6, "finance").await;
    let point = app::admin::config::create_service_point(
        &w.app,
        &Actor::system(),
        &app::admin::config::ServicePointInput {
            name: "沈阳办理点".into(),
            address: "沈阳市和平区1号".into(),
            hours: "工作日 9:00-17:00".into(),
            phone: "024-88000000".into(),
            active: "yes".into(),
        },
    )
    .await
    .unwrap();

    let mailed = order(&w, &org).await;
    pay(&w, &org, mailed).await;
    let mut paper = special();
    paper.invoice_type = "paper_special".into();
    let e = invoices::request(&w.app, &org, mailed, &paper)
        .await
        .unwrap_err();
    assert_eq!(
        fields(e),
        vec![("collection", "invoice.collection_required")]
    );
    paper.collection = "mail".into();
    paper.mail_recipient = "张六".into();
    paper.mail_phone = mobile(66);
    paper.mail_address = "济南市汉峪金谷A4-5号楼".into();
    invoices::request(&w.app, &org, mailed, &paper)
        .await
        .unwrap();
    // Not issued yet: nothing to ship.
    let ship = ShipInvoiceInput {
        carrier: "顺丰速运".into(),
        tracking_number: "SF1234567890".into(),
    };
    assert!(matches!(
        invoices::mark_shipped(&w.app, &finance, mailed, &ship).await,
        Err(Error::Refused("invoice.not_issued"))
    ));
    let mut paper_issue = issue_input("01234567");
    let e = invoices::issue(&w.app, &finance, mailed, &paper_issue, None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), vec![("invoice_code", "invoice.code_required")]);
    paper_issue.invoice_code = "3700231130".into();
    invoices::issue(&w.app, &finance, mailed, &paper_issue, None)
        .await
        .unwrap();
    assert!(matches!(
        invoices::mark_collected(&w.app, &finance, mailed).await,
        Err(Error::Refused("invoice.wrong_collection"))
    ));
    let shipped = invoices::mark_shipped(&w.app, &finance, mailed, &ship)
        .await
        .unwrap();
    assert_eq!(shipped.status, "shipped");
    assert_eq!(shipped.tracking_number.as_deref(), Some("SF1234567890"));

    // The same code and number cannot be issued twice.
    let picked = order(&w, &org).await;
    pay(&w, &org, picked).await;
    let mut pickup = special();
    pickup.invoice_type = "paper_special".into();
    pickup.collection = "pickup".into();
    pickup.service_point = point.to_text();
    let asked = invoices::request(&w.app, &org, picked, &pickup)
        .await
        .unwrap();
    assert_eq!(asked.service_point_name.as_deref(), Some("沈阳办理点"));
    let e = invoices::issue(&w.app, &finance, picked, &paper_issue, None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), vec![("invoice_number", "invoice.number_taken")]);
    paper_issue.invoice_number = "01234568".into();
    invoices::issue(&w.app, &finance, picked, &paper_issue, None)
        .await
        .unwrap();
    let collected = invoices::mark_collected(&w.app, &finance, picked)
        .await
        .unwrap();
    assert_eq!(collected.status, "collected");
    assert!(matches!(
        invoices::mark_collected(&w.app, &finance, picked).await,
        Err(Error::Refused("invoice.handed_already"))
    ));
}
