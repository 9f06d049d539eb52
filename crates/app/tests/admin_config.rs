//! The admin's configuration desk through the app's public functions, on SQLite and
//! PostgreSQL: only admins may change anything; what they set is what new
//! applications get; bad input is named field by field; a reset restores the default.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::admin::config::{
    self, DayInput, DocumentNeedInput, FeeKeyInput, Need, PlatformInput, ServicePointInput,
    SetDocumentsInput, SetPriceInput, SetProcedureInput, SettingsInput, Source,
};
use app::applications::{self, ApplicationInput, StartInput, SubmitInput};
use app::{Actor, Error};
use domain::application::{CertType, Channel, DocumentKind, Kind, Procedure, Status};
use domain::ids::{PlatformId, ServicePointId};
use support::{PNG, World, id_number, mobile};

fn keys(e: Error) -> Vec<(&'static str, &'static str)> {
    match e {
        Error::Invalid(f) => f.iter().map(|e| (e.field, e.key)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn price(kind: &str, cert_type: &str, channel: &str, yuan: &str) -> SetPriceInput {
    SetPriceInput {
        kind: kind.into(),
        cert_type: cert_type.into(),
        channel: channel.into(),
        price: yuan.into(),
    }
}

fn steps(kind: &str, channel: &str, steps: &str) -> SetProcedureInput {
    SetProcedureInput {
        kind: kind.into(),
        channel: channel.into(),
        steps: steps.into(),
    }
}

fn point(name: &str) -> ServicePointInput {
    ServicePointInput {
        name: name.into(),
        address: "郑州市金水区花园路1号".into(),
        hours: "工作日 9:00-17:00".into(),
        phone: "0371-12345678".into(),
        active: String::new(),
    }
}

fn day(date: &str, day_type: &str, name: &str) -> DayInput {
    DayInput {
        date: date.into(),
        day_type: day_type.into(),
        name: name.into(),
    }
}

fn form() -> ApplicationInput {
    ApplicationInput {
        handler_name: "张三".into(),
        handler_id_number: id_number(7),
        handler_mobile: mobile(77),
        handler_email: "zhangsan@example.com".into(),
        quantity: "2".into(),
        years: "1".into(),
        delivery: "mail".into(),
        mail_address: "杭州市西湖区转塘街道1号".into(),
        mail_recipient: "张三".into(),
        mail_phone: mobile(78),
        ..ApplicationInput::default()
    }
}

/// Starts a 新办 of an organisation certificate online, uploads what it needs and submits it.
async fn submit_new(w: &World, org: &Actor) -> applications::ApplicationView {
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
    let view = applications::view(&w.app, org, id).await.unwrap();
    for r in view.requirements.iter().filter(|r| r.required) {
        applications::upload_document(&w.app, org, id, &r.document_kind, "scan.png", PNG)
            .await
            .unwrap();
    }
    applications::submit(
        &w.app,
        org,
        id,
        &SubmitInput {
            form: form(),
            acknowledge: "yes".into(),
            version: None,
        },
    )
    .await
    .unwrap();
    applications::view(&w.app, org, id).await.unwrap()
}

/// Moves the world's clock to 10:00 in Shanghai on `date`.
fn set_date(w: &World, date: &str) {
    let target: jiff::Timestamp = format!("{date}T10:00:00+08:00").parse().unwrap();
    let now = w.app_now();
    w.clock.advance(target.duration_since(now));
}

trait Now {
    fn app_now(&self) -> jiff::Timestamp;
}

impl Now for World {
    fn app_now(&self) -> jiff::Timestamp {
        use app::Clock;
        self.clock.now()
    }
}

async fn audited(w: &World, subject: &str) -> Vec<String> {
    let mut conn = w.app.store().conn().await.unwrap();
    store::audit::for_subject(&mut conn, subject)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn only_admins_configure() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let sp = config::create_service_point(&w.app, &admin, &point("总部办理点"))
        .await
        .unwrap();
    let pf = config::create_platform(
        &w.app,
        &admin,
        &PlatformInput {
            name: "中原云商".into(),
            url: "https://www.example.com".into(),
            active: String::new(),
        },
    )
    .await
    .unwrap();
    let mut others = vec![w.org(2).await];
    for (n, role) in [(3, "reviewer"), (4, "operator"), (5, "finance")] {
        others.push(w.staff(n, role).await);
    }
    for who in &others {
        let a = &w.app;
        let refused = |r: Result<(), Error>| matches!(r, Err(Error::Forbidden));
        assert!(matches!(
            config::settings(a, who).await,
            Err(Error::Forbidden)
        ));
        let settings = SettingsInput {
            shipping_fee: "5".into(),
            review_sla_days: "2".into(),
        };
        assert!(refused(config::update_settings(a, who, &settings).await));
        assert!(refused(config::reset_setting(a, who, "shipping_fee").await));
        assert!(matches!(config::fees(a, who).await, Err(Error::Forbidden)));
        let p = price("new", "org_master", "online", "1");
        assert!(refused(config::set_price(a, who, &p).await));
        let key = FeeKeyInput {
            kind: "new".into(),
            cert_type: "org_master".into(),
            channel: "online".into(),
        };
        assert!(refused(config::reset_price(a, who, &key).await));
        assert!(matches!(
            config::procedures(a, who).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::procedure(a, who, "new", "online").await,
            Err(Error::Forbidden)
        ));
        let s = steps(
            "new",
            "online",
            "fill,review:first,pay,produce:operator,deliver",
        );
        assert!(refused(config::set_procedure(a, who, &s).await));
        assert!(refused(
            config::reset_procedure(a, who, "new", "online").await
        ));
        assert!(matches!(
            config::document_sets(a, who).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::document_set(a, who, "new", "seal").await,
            Err(Error::Forbidden)
        ));
        let docs = SetDocumentsInput {
            kind: "new".into(),
            cert_type: "seal".into(),
            documents: Vec::new(),
        };
        assert!(refused(config::set_documents(a, who, &docs).await));
        assert!(refused(
            config::reset_documents(a, who, "new", "seal").await
        ));
        assert!(matches!(
            config::service_points(a, who).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::service_point(a, who, sp).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::create_service_point(a, who, &point("别处")).await,
            Err(Error::Forbidden)
        ));
        assert!(refused(
            config::update_service_point(a, who, sp, &point("别处")).await
        ));
        assert!(refused(config::deactivate_service_point(a, who, sp).await));
        assert!(matches!(
            config::platforms(a, who).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::platform(a, who, pf).await,
            Err(Error::Forbidden)
        ));
        let pi = PlatformInput {
            name: "x".into(),
            url: "https://x.example.com".into(),
            active: "yes".into(),
        };
        assert!(matches!(
            config::create_platform(a, who, &pi).await,
            Err(Error::Forbidden)
        ));
        assert!(refused(config::update_platform(a, who, pf, &pi).await));
        assert!(matches!(
            config::holidays(a, who, "2026").await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::set_day(a, who, &day("2027-01-01", "holiday", "元旦")).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            config::delete_day(a, who, "2027-01-01").await,
            Err(Error::Forbidden)
        ));
    }
    // Nothing the others tried changed anything.
    let settings = config::settings(&w.app, &admin).await.unwrap();
    assert_eq!(settings.shipping_fee_source, Source::Default);
    assert!(
        config::fees(&w.app, &admin)
            .await
            .unwrap()
            .iter()
            .all(|f| f.source == Source::Default)
    );
    assert!(
        config::service_point(&w.app, &admin, sp)
            .await
            .unwrap()
            .active
    );
    assert!(
        config::holidays(&w.app, &admin, "2027")
            .await
            .unwrap()
            .days
            .is_empty()
    );
    // The command line acts as an admin.
    assert!(config::settings(&w.app, &Actor::system()).await.is_ok());
}

#[tokio::test]
async fn a_configured_price_is_what_a_new_order_is_quoted() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let org = w.org(2).await;

    config::set_price(
        &w.app,
        &admin,
        &price("new", "org_master", "online", "123.45"),
    )
    .await
    .unwrap();
    config::update_settings(
        &w.app,
        &admin,
        &SettingsInput {
            shipping_fee: "12.5".into(),
            review_sla_days: "3".into(),
        },
    )
    .await
    .unwrap();
    let fees = config::fees(&w.app, &admin).await.unwrap();
    let row = fees
        .iter()
        .find(|f| {
            (f.kind, f.cert_type, f.channel) == (Kind::New, CertType::OrgMaster, Channel::Online)
        })
        .unwrap();
    assert_eq!((row.price.0, row.price_yuan.as_str()), (12_345, "123.45"));
    assert_eq!(
        (row.default_price.0, row.source),
        (30_000, Source::Configured)
    );
    // The other channel keeps its default; 年检 is listed for e-seals only.
    assert!(
        fees.iter()
            .any(|f| (f.kind, f.cert_type, f.channel, f.source)
                == (
                    Kind::New,
                    CertType::OrgMaster,
                    Channel::OnSite,
                    Source::Default
                ))
    );
    assert!(
        !fees
            .iter()
            .any(|f| f.kind == Kind::Inspect && f.cert_type != CertType::Seal)
    );
    let settings = config::settings(&w.app, &admin).await.unwrap();
    assert_eq!(
        (settings.shipping_fee.0, settings.shipping_fee_source),
        (1_250, Source::Configured)
    );

    let view = submit_new(&w, &org).await;
    assert_eq!(view.status, Status::AwaitingPayment);
    // 123.45 元 × 2 certificates × 1 year + 12.50 元 shipping.
    assert_eq!(view.amount, 12_345 * 2 + 1_250);
    let quote = view.quote.unwrap();
    assert_eq!((quote.certificates.0, quote.shipping.0), (24_690, 1_250));

    // Resetting restores the shipped price for the next order; this one keeps its quote.
    config::reset_price(
        &w.app,
        &admin,
        &FeeKeyInput {
            kind: "new".into(),
            cert_type: "org_master".into(),
            channel: "online".into(),
        },
    )
    .await
    .unwrap();
    config::reset_setting(&w.app, &admin, "shipping_fee")
        .await
        .unwrap();
    let again = submit_new(&w, &org).await;
    assert_eq!(again.amount, 30_000 * 2 + 1_000);
    assert_eq!(
        applications::view(&w.app, &org, view.id)
            .await
            .unwrap()
            .amount,
        12_345 * 2 + 1_250
    );
    assert_eq!(
        audited(&w, "config:fee:new:org_master:online").await,
        ["config.fee.set", "config.fee.reset"]
    );
    assert_eq!(
        audited(&w, "config:settings").await,
        ["config.settings.set", "config.settings.reset"]
    );
}

#[tokio::test]
async fn bad_prices_and_settings_are_named_field_by_field() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let e = keys(
        config::set_price(
            &w.app,
            &admin,
            &price("renewal", "seal", "by_post", "1.234"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("kind", "config.error.kind"),
            ("channel", "config.error.channel"),
            ("price", "money.decimals")
        ]
    );
    let e = keys(
        config::set_price(
            &w.app,
            &admin,
            &price("inspect", "personal", "online", "-5"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("cert_type", "config.error.inspect_seal_only"),
            ("price", "money.sign")
        ]
    );
    let e = keys(
        config::set_price(&w.app, &admin, &price("new", "seal", "online", "100000.01"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, [("price", "config.error.price_too_large")]);
    let e = keys(
        config::update_settings(
            &w.app,
            &admin,
            &SettingsInput {
                shipping_fee: "十元".into(),
                review_sla_days: "61".into(),
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("shipping_fee", "money.invalid_char"),
            ("review_sla_days", "config.error.sla_days")
        ]
    );
    assert!(matches!(
        config::reset_setting(&w.app, &admin, "colour").await,
        Err(Error::NotFound)
    ));
    assert!(
        config::fees(&w.app, &admin)
            .await
            .unwrap()
            .iter()
            .all(|f| f.source == Source::Default)
    );
}

#[tokio::test]
async fn an_entered_holiday_moves_the_sla_due_date() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let org = w.org(2).await;
    // Reviewed before payment, so the review (and its due date) starts at submission.
    config::set_procedure(
        &w.app,
        &admin,
        &steps(
            "new",
            "online",
            "fill,review:first,pay,produce:operator,deliver",
        ),
    )
    .await
    .unwrap();
    // Monday 1 March 2027: no official table for 2027 in this build.
    set_date(&w, "2027-03-01");
    let before = submit_new(&w, &org).await;
    assert_eq!(before.status, Status::AwaitingFirstReview);
    assert_eq!(
        before.due_on.as_deref(),
        Some("2027-03-04"),
        "3 working days"
    );

    config::set_day(&w.app, &admin, &day("2027-03-02", "holiday", "地方假日"))
        .await
        .unwrap();
    let after = submit_new(&w, &org).await;
    assert_eq!(
        after.due_on.as_deref(),
        Some("2027-03-05"),
        "Tuesday is off"
    );

    // A make-up Saturday counts as well, and a shorter SLA moves the date back.
    config::set_day(&w.app, &admin, &day("2027-03-06", "working", ""))
        .await
        .unwrap();
    config::update_settings(
        &w.app,
        &admin,
        &SettingsInput {
            shipping_fee: "10".into(),
            review_sla_days: "4".into(),
        },
    )
    .await
    .unwrap();
    let saturday = submit_new(&w, &org).await;
    assert_eq!(saturday.due_on.as_deref(), Some("2027-03-06"));

    // Deleting the entries restores Monday to Friday.
    config::delete_day(&w.app, &admin, "2027-03-02")
        .await
        .unwrap();
    config::delete_day(&w.app, &admin, "2027-03-06")
        .await
        .unwrap();
    let restored = submit_new(&w, &org).await;
    assert_eq!(
        restored.due_on.as_deref(),
        Some("2027-03-05"),
        "4 working days"
    );
    assert!(matches!(
        config::delete_day(&w.app, &admin, "2027-03-06").await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        audited(&w, "config:calendar:2027-03-02").await,
        ["config.calendar.set", "config.calendar.deleted"]
    );
}

#[tokio::test]
async fn the_holidays_page_shows_the_official_table_and_the_entries_over_it() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    config::set_day(&w.app, &admin, &day("2026-10-08", "holiday", "国庆节"))
        .await
        .unwrap();
    config::set_day(&w.app, &admin, &day(" 2026-10-10 ", "holiday", "调整"))
        .await
        .unwrap();
    let view = config::holidays(&w.app, &admin, "2026").await.unwrap();
    assert!(view.official_table);
    let row = |date: &str| view.days.iter().find(|d| d.date == date).unwrap();
    let oct1 = row("2026-10-01");
    assert_eq!(oct1.weekday, 4);
    assert!(
        oct1.official
            .as_ref()
            .is_some_and(|o| !o.working && o.name == "国庆节")
    );
    assert!(oct1.entered.is_none() && !oct1.working);
    let oct8 = row("2026-10-08");
    assert!(oct8.official.is_none() && oct8.entered.is_some() && !oct8.working);
    let oct10 = row("2026-10-10");
    assert!(
        oct10.official.as_ref().is_some_and(|o| o.working),
        "a make-up Saturday"
    );
    assert!(!oct10.working, "the entry decides");
    assert!(view.days.windows(2).all(|p| p[0].date < p[1].date));

    let empty = config::holidays(&w.app, &admin, "2031").await.unwrap();
    assert!(!empty.official_table && empty.days.is_empty());
    assert!(matches!(
        config::holidays(&w.app, &admin, "1999").await,
        Err(Error::Invalid(_))
    ));
    let e = keys(
        config::set_day(&w.app, &admin, &day("2027-02-30", "", ""))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("date", "config.error.date"),
            ("day_type", "config.error.day_type")
        ]
    );
    let e = keys(
        config::set_day(&w.app, &admin, &day("2027-01-01", "holiday", " "))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, [("name", "text.empty")]);
}

#[tokio::test]
async fn an_unsafe_procedure_is_refused_with_its_field_error() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let cases = [
        (
            "new",
            "online",
            "fill,pay,produce:operator,deliver",
            "config.procedure.no_review",
        ),
        (
            "new",
            "online",
            "fill,review:first,produce:operator,pay",
            "config.procedure.produce_order",
        ),
        (
            "new",
            "online",
            "pay,fill,review:first,produce:operator",
            "config.procedure.fill_first",
        ),
        (
            "replace",
            "onsite",
            "fill,pay,review:first,produce:operator,deliver",
            "config.procedure.replace_paid_before_review",
        ),
        (
            "cancel",
            "online",
            "fill,review:first,produce:operator,deliver",
            "config.procedure.cancel_delivers",
        ),
        (
            "new",
            "online",
            "fill,review:first,sign,produce:operator",
            "config.procedure.unknown_step",
        ),
    ];
    for (kind, channel, text, key) in cases {
        let e = keys(
            config::set_procedure(&w.app, &admin, &steps(kind, channel, text))
                .await
                .unwrap_err(),
        );
        assert_eq!(e, [("steps", key)], "{text}");
    }
    let e = keys(
        config::set_procedure(&w.app, &admin, &steps("renewal", "fax", "fill"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("kind", "config.error.kind"),
            ("channel", "config.error.channel")
        ]
    );
    // Nothing was stored: every procedure is still the default.
    for p in config::procedures(&w.app, &admin).await.unwrap() {
        assert_eq!(p.source, Source::Default);
        assert_eq!(p.code, Procedure::default_for(p.kind, p.channel).code());
    }
}

#[tokio::test]
async fn a_reset_restores_the_default() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let org = w.org(2).await;
    let wanted = "fill,review:first,pay,review:final,produce:operator,deliver";
    config::set_procedure(
        &w.app,
        &admin,
        &steps("new", "online", &format!(" {wanted} ")),
    )
    .await
    .unwrap();
    let p = config::procedure(&w.app, &admin, "new", "online")
        .await
        .unwrap();
    assert_eq!((p.code.as_str(), p.source), (wanted, Source::Configured));
    assert_eq!(p.steps.len(), 6);
    // A new application follows it: reviewed first, so it waits for 初审 after submitting.
    let reviewed_first = submit_new(&w, &org).await;
    assert_eq!(reviewed_first.status, Status::AwaitingFirstReview);

    config::reset_procedure(&w.app, &admin, "new", "online")
        .await
        .unwrap();
    let p = config::procedure(&w.app, &admin, "new", "online")
        .await
        .unwrap();
    let default = Procedure::default_for(Kind::New, Channel::Online).code();
    assert_eq!(
        (p.code.as_str(), p.source),
        (default.as_str(), Source::Default)
    );
    assert_eq!(submit_new(&w, &org).await.status, Status::AwaitingPayment);
    // The one already under way keeps its procedure.
    assert_eq!(
        applications::view(&w.app, &org, reviewed_first.id)
            .await
            .unwrap()
            .status,
        Status::AwaitingFirstReview
    );
    assert_eq!(
        audited(&w, "config:procedure:new:online").await,
        ["config.procedure.set", "config.procedure.reset"]
    );
    assert!(matches!(
        config::procedure(&w.app, &admin, "new", "fax").await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn required_documents_are_what_submitting_waits_for() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let need = |document: &str, need: &str| DocumentNeedInput {
        document: document.into(),
        need: need.into(),
    };
    // Only the handler's ID card, and the business licence as an option.
    config::set_documents(
        &w.app,
        &admin,
        &SetDocumentsInput {
            kind: "new".into(),
            cert_type: "org_master".into(),
            documents: vec![
                need("handler_id", "required"),
                need("business_licence", "optional"),
                need("power_of_attorney", "none"),
            ],
        },
    )
    .await
    .unwrap();
    let set = config::document_set(&w.app, &admin, "new", "org_master")
        .await
        .unwrap();
    assert_eq!(set.source, Source::Configured);
    let of = |d: DocumentKind| {
        set.documents
            .iter()
            .find(|x| x.document == d)
            .unwrap()
            .clone()
    };
    assert_eq!(of(DocumentKind::HandlerId).need, Need::Required);
    assert_eq!(of(DocumentKind::BusinessLicence).need, Need::Optional);
    let poa = of(DocumentKind::PowerOfAttorney);
    assert_eq!((poa.need, poa.default_need), (Need::None, Need::Required));
    {
        let mut conn = w.app.store().conn().await.unwrap();
        let list = app::config::requirements(&mut conn, Kind::New, CertType::OrgMaster)
            .await
            .unwrap();
        assert_eq!(list.iter().filter(|r| r.required).count(), 1);
        assert_eq!(list.len(), 2);
    }
    let e = keys(
        config::set_documents(
            &w.app,
            &admin,
            &SetDocumentsInput {
                kind: "inspect".into(),
                cert_type: "personal".into(),
                documents: vec![
                    need("handler_id", "maybe"),
                    need("passport", "required"),
                    need("handler_id", "required"),
                ],
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("cert_type", "config.error.inspect_seal_only"),
            ("handler_id", "config.error.document_need"),
            ("documents", "config.error.document_kind"),
            ("handler_id", "config.error.document_twice"),
        ]
    );
    config::reset_documents(&w.app, &admin, "new", "org_master")
        .await
        .unwrap();
    let set = config::document_set(&w.app, &admin, "new", "org_master")
        .await
        .unwrap();
    assert_eq!(set.source, Source::Default);
    assert!(set.documents.iter().all(|d| d.need == d.default_need));
    assert!(matches!(
        config::document_set(&w.app, &admin, "inspect", "personal").await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn service_points_and_platforms_are_named_once_and_closed_not_deleted() {
    let w = World::new().await;
    let admin = w.staff(1, "admin").await;
    let first = config::create_service_point(&w.app, &admin, &point("金水办理点"))
        .await
        .unwrap();
    let e = keys(
        config::create_service_point(&w.app, &admin, &point(" 金水办理点 "))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, [("name", "config.error.service_point_name_taken")]);
    let e = keys(
        config::create_service_point(
            &w.app,
            &admin,
            &ServicePointInput {
                name: String::new(),
                address: String::new(),
                hours: "9-17".into(),
                phone: "call me".into(),
                active: String::new(),
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        e,
        [
            ("name", "text.empty"),
            ("address", "text.empty"),
            ("phone", "config.error.phone")
        ]
    );
    let second = config::create_service_point(&w.app, &admin, &point("二七办理点"))
        .await
        .unwrap();
    // Renaming onto another's name is refused too.
    let e = keys(
        config::update_service_point(&w.app, &admin, second, &point("金水办理点"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, [("name", "config.error.service_point_name_taken")]);
    let mut open = point("二七区办理点");
    open.active = "yes".into();
    config::update_service_point(&w.app, &admin, second, &open)
        .await
        .unwrap();
    config::deactivate_service_point(&w.app, &admin, first)
        .await
        .unwrap();
    {
        let mut conn = w.app.store().conn().await.unwrap();
        let active = app::config::active_service_points(&mut conn).await.unwrap();
        assert_eq!(
            active.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["二七区办理点"]
        );
    }
    let all = config::service_points(&w.app, &admin).await.unwrap();
    assert_eq!(all.len(), 2, "closed, not deleted");
    assert!(matches!(
        config::update_service_point(&w.app, &admin, ServicePointId::new(), &point("x")).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        audited(&w, &format!("service_point:{first}")).await,
        [
            "config.service_point.created",
            "config.service_point.deactivated"
        ]
    );

    let platform = |name: &str, url: &str| PlatformInput {
        name: name.into(),
        url: url.into(),
        active: "yes".into(),
    };
    let id = config::create_platform(&w.app, &admin, &platform("政采云", "https://www.zcygov.cn"))
        .await
        .unwrap();
    let e = keys(
        config::create_platform(
            &w.app,
            &admin,
            &platform("政采云", "https://other.example.com"),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e, [("name", "config.error.platform_name_taken")]);
    let e = keys(
        config::create_platform(&w.app, &admin, &platform("阳光采购", "ftp://example.com"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, [("url", "config.error.url")]);
    config::update_platform(
        &w.app,
        &admin,
        id,
        &PlatformInput {
            active: String::new(),
            ..platform("政采云平台", "https://www.zcygov.cn/ca")
        },
    )
    .await
    .unwrap();
    let p = config::platform(&w.app, &admin, id).await.unwrap();
    assert_eq!(
        (p.name.as_str(), p.url.as_str(), p.active),
        ("政采云平台", "https://www.zcygov.cn/ca", false)
    );
    assert!(matches!(
        config::platform(&w.app, &admin, PlatformId::new()).await,
        Err(Error::NotFound)
    ));
}
