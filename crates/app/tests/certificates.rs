//! 证书管理 in the app: who sees which certificate, the status (有效 / 已吊销 / 已过期) and
//! the days left, 新增平台 (link, twice, unlink), the staff's search by each key, and
//! starting 延期 / 补办 / … from a certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::Clock as _;
use app::accounts::{self, AccountFields, RegisterIndividualInput};
use app::applications::StartInput;
use app::certificates::{self, LinkInput, ListQuery, SearchQuery, Standing};
use app::{Actor, App, Error};
use domain::application::{CertType, Kind};
use domain::ident::Uscc;
use jiff::SignedDuration;
use support::{World, mobile, uscc};

const DAY: i64 = 24 * 3600;

async fn with_ca(w: &World) -> App {
    let keys = app::ca::KeySource::File {
        passphrase: "pw".to_owned().into(),
        kdf_iterations: 1_000,
    };
    app::ca::init(
        &w.app,
        &Actor::system(),
        &keys,
        &app::ca::InitOptions::default(),
    )
    .await
    .unwrap();
    let ca = app::ca::load(&w.app, &keys).await.unwrap();
    w.app.clone().with_ca(ca)
}

/// Issues a certificate as production would, for `holder` (and its organisation, if any:
/// organisation `n` of the support module), valid for `days` from the world's now.
async fn issue(w: &World, app: &App, holder: &Actor, cert_type: CertType, days: i64) -> String {
    let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256).unwrap();
    let organisation = holder.organisation().map(|_| {
        let n: u32 = holder.name.trim_start_matches("经办人").parse().unwrap();
        pki::Organisation {
            name: format!("测试单位{n}"),
            code: domain::organisation::CreditCode::Uscc(Uscc::parse(&uscc(n)).unwrap()),
        }
    });
    let now = w.clock.now();
    let request = app::ca::IssueRequest {
        subject: pki::SubjectData {
            organisation,
            person_name: Some(holder.name.clone()),
            seal_name: Some("合同专用章".into()),
            id_number: None,
        },
        cert_type,
        not_before: now,
        not_after: now + SignedDuration::from_secs(days * DAY),
        public_key: key.public_key().unwrap(),
        application: None,
        organisation: holder.organisation(),
        holder: Some(holder.id),
        token_serial: Some("JK2026000123".into()),
        replaces: None,
    };
    app::ca::issue(app, &Actor::system(), &request)
        .await
        .unwrap()
        .serial
}

async fn individual(w: &World, n: u32) -> Actor {
    let input = RegisterIndividualInput {
        account: AccountFields {
            mobile: mobile(n),
            password: "Passw0rd-1".into(),
            password_confirm: "Passw0rd-1".into(),
            name: format!("个人{n}"),
            email: String::new(),
        },
        id_number: support::id_number(n),
    };
    accounts::register_individual(&w.app, &input).await.unwrap();
    w.sign_in(&input.account.mobile, "Passw0rd-1").await
}

fn serials(list: &certificates::ListView) -> Vec<String> {
    list.items.iter().map(|c| c.serial.clone()).collect()
}

#[tokio::test]
async fn each_sees_their_own_certificates_and_no_one_else_s() {
    let w = World::new().await;
    let app = with_ca(&w).await;
    let org_a = w.org(1).await;
    let org_b = w.org(2).await;
    let person = individual(&w, 3).await;
    let other_person = individual(&w, 4).await;
    let a1 = issue(&w, &app, &org_a, CertType::OrgMaster, 365).await;
    let a2 = issue(&w, &app, &org_a, CertType::OrgStaff, 365).await;
    let b1 = issue(&w, &app, &org_b, CertType::OrgMaster, 365).await;
    let p1 = issue(&w, &app, &person, CertType::Personal, 365).await;

    let q = ListQuery::default();
    let list = certificates::list(&app, &org_a, &q).await.unwrap();
    assert_eq!(serials(&list), vec![a2.clone(), a1.clone()], "newest first");
    assert_eq!(list.total, 2);
    let row = &list.items[1];
    assert_eq!(row.cert_type, CertType::OrgMaster);
    assert_eq!(row.holder_name, org_a.name);
    assert_eq!(row.issuer, "certdesk Issuing CA");
    assert_eq!(row.token_serial.as_deref(), Some("JK2026000123"));
    assert_eq!(row.status, Standing::Valid);
    assert_eq!(
        serials(&certificates::list(&app, &org_b, &q).await.unwrap()),
        vec![b1.clone()]
    );
    assert_eq!(
        serials(&certificates::list(&app, &person, &q).await.unwrap()),
        vec![p1.clone()]
    );
    assert!(
        certificates::list(&app, &other_person, &q)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Another organisation's certificate does not exist for B, in any form it is asked for.
    let lower_with_colons = a1
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        certificates::view(&app, &org_a, &lower_with_colons)
            .await
            .unwrap()
            .summary
            .serial,
        a1
    );
    for (who, serial) in [(&org_b, &a1), (&other_person, &p1), (&person, &a1)] {
        let e = certificates::view(&app, who, serial).await.unwrap_err();
        assert!(matches!(e, Error::NotFound), "{e:?}");
        let e = certificates::download(&app, who, serial, certificates::DownloadFormat::Pem)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound), "{e:?}");
    }
    assert!(matches!(
        certificates::view(&app, &org_a, "not hex").await,
        Err(Error::NotFound)
    ));

    // Staff open anyone's; applicants do not search, staff do not have a 证书管理 of their own.
    let reviewer = w.staff(1, "reviewer").await;
    let seen = certificates::view(&app, &reviewer, &a1).await.unwrap();
    assert!(!seen.can_manage && seen.summary.offers.is_empty());
    assert!(matches!(
        certificates::search(&app, &org_a, &SearchQuery::default()).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        certificates::list(&app, &reviewer, &q).await,
        Err(Error::Forbidden)
    ));
    let all = certificates::search(&app, &reviewer, &SearchQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 4);
}

#[tokio::test]
async fn status_follows_revocation_and_expiry_and_days_count_down() {
    let w = World::new().await;
    let app = with_ca(&w).await;
    let org = w.org(1).await;
    let short = issue(&w, &app, &org, CertType::OrgMaster, 10).await;
    let long = issue(&w, &app, &org, CertType::Seal, 400).await;
    let revoked = issue(&w, &app, &org, CertType::OrgStaff, 400).await;
    app::ca::revoke(
        &app,
        &Actor::system(),
        &revoked,
        pki::RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();

    let v = certificates::view(&app, &org, &short).await.unwrap();
    assert_eq!(v.summary.days_left, 10);
    assert_eq!(v.summary.status, Standing::Valid);
    assert_eq!(
        v.summary.offers,
        vec![Kind::Renew, Kind::Replace, Kind::Change, Kind::Cancel]
    );
    assert_eq!(v.key_algorithm, "ECDSA P-256");
    assert_eq!(v.fingerprint_sha256.len(), 32 * 3 - 1);
    assert!(v.subject.contains("O=测试单位1"), "{}", v.subject);
    let seal = certificates::view(&app, &org, &long).await.unwrap();
    assert!(seal.summary.offers.contains(&Kind::Inspect));
    let r = certificates::view(&app, &org, &revoked).await.unwrap();
    assert_eq!(r.summary.status, Standing::Revoked);
    assert_eq!(r.revocation_reason.as_deref(), Some("keyCompromise"));
    assert!(r.revoked_at.is_some());
    assert!(
        r.summary.offers.is_empty(),
        "nothing on a revoked certificate"
    );

    w.clock.advance(SignedDuration::from_secs(3 * DAY));
    let v = certificates::view(&app, &org, &short).await.unwrap();
    assert_eq!(v.summary.days_left, 7);

    w.clock.advance(SignedDuration::from_secs(8 * DAY));
    let v = certificates::view(&app, &org, &short).await.unwrap();
    assert_eq!(v.summary.status, Standing::Expired);
    assert_eq!(v.summary.days_left, 0);
    assert_eq!(
        v.summary.offers,
        vec![Kind::Renew, Kind::Replace, Kind::Cancel],
        "no 信息变更 on an expired certificate"
    );

    let by = |status: &str, cert_type: &str| ListQuery {
        status: status.into(),
        cert_type: cert_type.into(),
        page: None,
    };
    let list = |q: ListQuery| {
        let app = app.clone();
        let org = org.clone();
        async move { serials(&certificates::list(&app, &org, &q).await.unwrap()) }
    };
    assert_eq!(list(by("expired", "")).await, vec![short.clone()]);
    assert_eq!(list(by("valid", "")).await, vec![long.clone()]);
    assert_eq!(list(by("revoked", "")).await, vec![revoked.clone()]);
    assert_eq!(list(by("", "seal")).await, vec![long.clone()]);
    assert!(list(by("valid", "org_master")).await.is_empty());
    let e = certificates::list(&app, &org, &by("gone", ""))
        .await
        .unwrap_err();
    match e {
        Error::Invalid(f) => assert_eq!(f.get("status"), Some("certificate.status_unknown")),
        other => panic!("{other:?}"),
    }
}

async fn platform(app: &App, name: &str, active: bool) -> domain::ids::PlatformId {
    let id = app::admin::config::create_platform(
        app,
        &Actor::system(),
        &app::admin::config::PlatformInput {
            name: name.into(),
            url: "https://ggzy.example.cn".into(),
            active: "yes".into(),
        },
    )
    .await
    .unwrap();
    if !active {
        app::admin::config::update_platform(
            app,
            &Actor::system(),
            id,
            &app::admin::config::PlatformInput {
                name: name.into(),
                url: "https://ggzy.example.cn".into(),
                active: String::new(),
            },
        )
        .await
        .unwrap();
    }
    id
}

#[tokio::test]
async fn platforms_are_linked_once_unlinked_and_kept_on_record() {
    let w = World::new().await;
    let app = with_ca(&w).await;
    let org = w.org(1).await;
    let other = w.org(2).await;
    let serial = issue(&w, &app, &org, CertType::OrgMaster, 365).await;
    let gov = platform(&app, "辽宁省政府采购平台", true).await;
    let build = platform(&app, "辽宁建设工程信息网", true).await;
    let closed = platform(&app, "已停用平台", false).await;
    let link = |p: domain::ids::PlatformId| LinkInput {
        platform: p.to_text(),
    };

    let v = certificates::view(&app, &org, &serial).await.unwrap();
    let offered: Vec<_> = v.available_platforms.iter().map(|p| p.id).collect();
    assert!(offered.contains(&gov) && offered.contains(&build));
    assert!(
        !offered.contains(&closed),
        "only active platforms are offered"
    );

    certificates::link_platform(&app, &org, &serial, &link(gov))
        .await
        .unwrap();
    w.clock.advance(SignedDuration::from_secs(1));
    certificates::link_platform(&app, &org, &serial, &link(build))
        .await
        .unwrap();
    let twice = certificates::link_platform(&app, &org, &serial, &link(gov))
        .await
        .unwrap_err();
    assert!(
        matches!(twice, Error::Refused("certificate.platform_linked")),
        "{twice:?}"
    );
    let e = certificates::link_platform(&app, &org, &serial, &link(closed))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(f) if f.get("platform") == Some("certificate.platform_unknown")),
        "{e:?}"
    );
    let e = certificates::link_platform(&app, &org, &serial, &LinkInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(f) if f.get("platform") == Some("certificate.platform_required")),
        "{e:?}"
    );
    let e = certificates::link_platform(&app, &other, &serial, &link(gov))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound), "{e:?}");
    let reviewer = w.staff(1, "reviewer").await;
    let e = certificates::link_platform(&app, &reviewer, &serial, &link(gov))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");

    let names = |v: &certificates::CertificateView| -> Vec<String> {
        v.summary.platforms.iter().map(|p| p.name.clone()).collect()
    };
    let v = certificates::view(&app, &org, &serial).await.unwrap();
    assert_eq!(names(&v), vec!["辽宁建设工程信息网", "辽宁省政府采购平台"]);
    let listed = certificates::list(&app, &org, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.items[0].platforms.len(), 2);

    certificates::unlink_platform(&app, &org, &serial, &gov.to_text())
        .await
        .unwrap();
    let again = certificates::unlink_platform(&app, &org, &serial, &gov.to_text())
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::Refused("certificate.platform_not_linked")),
        "{again:?}"
    );
    let v = certificates::view(&app, &org, &serial).await.unwrap();
    assert_eq!(names(&v), vec!["辽宁建设工程信息网"]);
    // Linked again after the unlink: a new link; the old one stays on record.
    w.clock.advance(SignedDuration::from_secs(1));
    certificates::link_platform(&app, &org, &serial, &link(gov))
        .await
        .unwrap();
    let mut conn = app.store().conn().await.unwrap();
    let audit: Vec<String> = store::audit::for_subject(&mut conn, &serial)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        audit,
        vec![
            "certificate.issue",
            "certificate.platform_link",
            "certificate.platform_link",
            "certificate.platform_unlink",
            "certificate.platform_link",
        ]
    );

    // A revoked certificate gets no new platform.
    app::ca::revoke(
        &app,
        &Actor::system(),
        &serial,
        pki::RevocationReason::CessationOfOperation,
    )
    .await
    .unwrap();
    let e = certificates::link_platform(&app, &org, &serial, &link(closed))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Refused("certificate.not_in_force")),
        "{e:?}"
    );
}

#[tokio::test]
async fn staff_find_certificates_by_serial_organisation_uscc_and_holder() {
    let w = World::new().await;
    let app = with_ca(&w).await;
    let org_a = w.org(1).await;
    let org_b = w.org(2).await;
    let person = individual(&w, 3).await;
    let a = issue(&w, &app, &org_a, CertType::OrgMaster, 365).await;
    let b = issue(&w, &app, &org_b, CertType::OrgStaff, 365).await;
    let p = issue(&w, &app, &person, CertType::Personal, 365).await;
    let finance = w.staff(1, "finance").await;
    let find = |q: String| {
        let app = app.clone();
        let finance = finance.clone();
        async move {
            let query = SearchQuery {
                q,
                ..SearchQuery::default()
            };
            serials(&certificates::search(&app, &finance, &query).await.unwrap())
        }
    };

    // Serial: whole, lower case with colons, or its start.
    assert_eq!(find(a.clone()).await, vec![a.clone()]);
    let colons = b
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(find(colons).await, vec![b.clone()]);
    assert!(find(p[..12].to_ascii_lowercase()).await.contains(&p));
    // Organisation: part of its name; its USCC.
    assert_eq!(find("测试单位1".into()).await, vec![a.clone()]);
    assert_eq!(find("单位".into()).await, vec![b.clone(), a.clone()]);
    assert_eq!(find(uscc(2)).await, vec![b.clone()]);
    assert_eq!(find(uscc(2).to_ascii_lowercase()).await, vec![b.clone()]);
    // Holder: the start of the name.
    assert_eq!(find("个人3".into()).await, vec![p.clone()]);
    assert_eq!(find(org_b.name.clone()).await, vec![b.clone()]);
    assert!(find("无此人".into()).await.is_empty());
    assert_eq!(find(String::new()).await, vec![p.clone(), b, a]);
}

#[tokio::test]
async fn applications_start_from_a_certificate_the_actor_owns() {
    let w = World::new().await;
    let app = with_ca(&w).await;
    let org = w.org(1).await;
    let other = w.org(2).await;
    let serial = issue(&w, &app, &org, CertType::OrgMaster, 365).await;
    let start = |kind: &str, cert_type: &str, certificate: &str| StartInput {
        kind: kind.into(),
        cert_type: cert_type.into(),
        channel: "online".into(),
        agree_terms: "yes".into(),
        certificate: certificate.into(),
    };

    let id = app::applications::start(
        &app,
        &org,
        &start("renew", "org_master", &serial.to_ascii_lowercase()),
    )
    .await
    .unwrap();
    let order = app::applications::view(&app, &org, id).await.unwrap();
    assert_eq!(order.form.certificate_serial, serial);
    assert_eq!(order.kind, Kind::Renew);

    let e = app::applications::start(&app, &other, &start("renew", "org_master", &serial))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound), "{e:?}");
    let e = app::applications::start(&app, &org, &start("renew", "seal", &serial))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(f) if f.get("cert_type") == Some("certificate.type_differs")),
        "{e:?}"
    );
    let e = app::applications::start(&app, &org, &start("new", "org_master", &serial))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(f) if f.get("kind") == Some("certificate.kind_not_offered")),
        "{e:?}"
    );
    app::ca::revoke(
        &app,
        &Actor::system(),
        &serial,
        pki::RevocationReason::Superseded,
    )
    .await
    .unwrap();
    let e = app::applications::start(&app, &org, &start("cancel", "org_master", &serial))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(f) if f.get("kind") == Some("certificate.revoked_no_start")),
        "{e:?}"
    );
}
