//! Registration, sign-in, throttling and passwords, through the app functions.
//! Runs on SQLite, or on PostgreSQL with CERTDESK_TEST_DATABASE=postgres.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::accounts::{self, AccountFields, RegisterIndividualInput, SignInInput};
use app::{Error, authz};
use jiff::SignedDuration;
use support::{World, org_input};

#[tokio::test]
async fn registering_an_organisation_makes_the_person_its_admin() {
    let w = World::new().await;
    let input = org_input(1);
    let r = accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    assert_eq!(r.credit_code.as_deref(), Some(input.uscc.as_str()));
    let actor = w
        .sign_in(&input.account.mobile, &input.account.password)
        .await;
    assert_eq!(actor.organisation(), r.organisation_id);
    assert!(actor.is_org_admin());
    let profile = app::organisations::profile(&w.app, &actor, r.organisation_id.unwrap())
        .await
        .unwrap();
    assert_eq!(profile.name, input.org_name);
    assert!(profile.has_uscc);
}

#[tokio::test]
async fn a_body_without_a_uscc_gets_a_stand_in_code() {
    let w = World::new().await;
    let mut input = org_input(2);
    input.has_uscc = false;
    input.uscc = "ignored".into();
    let r = accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let code = r.credit_code.unwrap();
    assert!(code.starts_with("ZCD"), "{code}");
    assert!(domain::ident::Uscc::parse(&code).is_err());
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once_and_nothing_is_created() {
    let w = World::new().await;
    let mut input = org_input(3);
    input.uscc = testkit_bad_uscc();
    input.account.mobile = "1380000".into();
    input.account.password_confirm = "different1".into();
    input.org_type = "bank".into();
    input.region = "  ".into();
    let Err(Error::Invalid(errors)) = accounts::register_organisation(&w.app, &input).await else {
        panic!("expected field errors");
    };
    assert_eq!(errors.get("uscc"), Some("uscc.check_digit"));
    assert_eq!(errors.get("mobile"), Some("phone.length"));
    assert_eq!(errors.get("password_confirm"), Some("password.mismatch"));
    assert_eq!(errors.get("org_type"), Some("org_type.unknown"));
    assert_eq!(errors.get("region"), Some("text.empty"));
    assert_eq!(w.user_count().await, 0);
}

fn testkit_bad_uscc() -> String {
    let good = support::uscc(3);
    let (head, check) = good.split_at(17);
    format!("{head}{}", if check == "0" { '1' } else { '0' })
}

#[tokio::test]
async fn one_uscc_belongs_to_one_organisation_and_one_mobile_to_one_account() {
    let w = World::new().await;
    let first = org_input(4);
    accounts::register_organisation(&w.app, &first)
        .await
        .unwrap();

    let mut same_code = org_input(5);
    same_code.uscc = first.uscc.to_lowercase();
    let Err(Error::Invalid(e)) = accounts::register_organisation(&w.app, &same_code).await else {
        panic!("duplicate USCC accepted");
    };
    assert_eq!(e.get("uscc"), Some("organisation.uscc_taken"));

    let mut same_mobile = org_input(6);
    same_mobile.account.mobile = first.account.mobile.clone();
    let Err(Error::Invalid(e)) = accounts::register_organisation(&w.app, &same_mobile).await else {
        panic!("duplicate mobile accepted");
    };
    assert_eq!(e.get("mobile"), Some("account.mobile_taken"));
    assert_eq!(w.user_count().await, 1);
}

/// Two registrations race for one USCC: the database decides, and the loser leaves
/// no account behind (its whole transaction rolls back).
#[tokio::test]
async fn a_lost_race_leaves_nothing_half_created() {
    let w = World::new().await;
    let a = org_input(7);
    let mut b = org_input(8);
    b.uscc = a.uscc.clone();
    let (ra, rb) = tokio::join!(
        accounts::register_organisation(&w.app, &a),
        accounts::register_organisation(&w.app, &b)
    );
    assert!(
        ra.is_ok() != rb.is_ok(),
        "exactly one wins: {:?} {:?}",
        ra.err(),
        rb.err()
    );
    let loser = ra.err().or(rb.err()).unwrap();
    let Error::Invalid(e) = loser else {
        panic!("{loser:?}")
    };
    assert_eq!(e.get("uscc"), Some("organisation.uscc_taken"));
    assert_eq!(w.user_count().await, 1);
}

#[tokio::test]
async fn individuals_register_with_name_and_id_number() {
    let w = World::new().await;
    let input = RegisterIndividualInput {
        account: AccountFields {
            mobile: support::mobile(9),
            password: "secret123".into(),
            password_confirm: "secret123".into(),
            name: "张三".into(),
            email: String::new(),
        },
        id_number: support::id_number(9).to_lowercase(),
    };
    accounts::register_individual(&w.app, &input).await.unwrap();
    let actor = w.sign_in(&input.account.mobile, "secret123").await;
    assert!(actor.individual);
    assert_eq!(actor.organisation(), None);

    let mut again = input.clone();
    again.account.mobile = support::mobile(10);
    let Err(Error::Invalid(e)) = accounts::register_individual(&w.app, &again).await else {
        panic!("duplicate ID number accepted");
    };
    assert_eq!(e.get("id_number"), Some("individual.id_number_taken"));

    let mut bad = input.clone();
    bad.account.mobile = support::mobile(11);
    bad.id_number = "110105199002300011".into();
    let Err(Error::Invalid(e)) = accounts::register_individual(&w.app, &bad).await else {
        panic!("30 February accepted");
    };
    assert_eq!(e.get("id_number"), Some("id_number.birth_date"));
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_login_for_a_while() {
    let w = World::new().await;
    let input = org_input(12);
    accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let wrong = SignInInput {
        mobile: input.account.mobile.clone(),
        password: "wrong-password1".into(),
    };
    for _ in 0..accounts::MAX_FAILURES {
        assert!(matches!(
            accounts::sign_in(&w.app, &wrong).await,
            Err(Error::BadCredentials)
        ));
    }
    let right = support::credentials(&input);
    // Locked: even the right password is refused, without being checked.
    let Err(Error::Throttled { retry_after_secs }) = accounts::sign_in(&w.app, &right).await else {
        panic!("not throttled");
    };
    assert!(retry_after_secs > 0 && retry_after_secs <= 15 * 60);
    w.clock
        .advance(accounts::THROTTLE_WINDOW + SignedDuration::from_secs(1));
    assert!(accounts::sign_in(&w.app, &right).await.is_ok());
}

#[tokio::test]
async fn unknown_logins_and_wrong_passwords_look_the_same() {
    let w = World::new().await;
    let r = accounts::sign_in(
        &w.app,
        &SignInInput {
            mobile: support::mobile(13),
            password: "whatever1".into(),
        },
    )
    .await;
    assert!(matches!(r, Err(Error::BadCredentials)));
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_expire_when_unused() {
    let w = World::new().await;
    let input = org_input(14);
    accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let s = accounts::sign_in(&w.app, &support::credentials(&input))
        .await
        .unwrap();
    assert!(
        accounts::authenticate(&w.app, &s.token)
            .await
            .unwrap()
            .is_some()
    );
    accounts::sign_out(&w.app, &s.token).await.unwrap();
    assert!(
        accounts::authenticate(&w.app, &s.token)
            .await
            .unwrap()
            .is_none()
    );

    let s = accounts::sign_in(&w.app, &support::credentials(&input))
        .await
        .unwrap();
    w.clock
        .advance(accounts::SESSION_TTL + SignedDuration::from_secs(1));
    assert!(
        accounts::authenticate(&w.app, &s.token)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let w = World::new().await;
    let input = org_input(15);
    accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let sign_in = support::credentials(&input);
    let other = accounts::sign_in(&w.app, &sign_in).await.unwrap();
    let actor = w.sign_in(&sign_in.mobile, &sign_in.password).await;

    let bad = accounts::ChangePasswordInput {
        current_password: "not-it-123".into(),
        new_password: "short".into(),
        new_password_confirm: "short".into(),
    };
    let Err(Error::Invalid(e)) = accounts::change_password(&w.app, &actor, &bad).await else {
        panic!("bad change accepted");
    };
    assert_eq!(e.get("current_password"), Some("password.wrong_current"));
    assert_eq!(e.get("new_password"), Some("password.too_short"));

    let good = accounts::ChangePasswordInput {
        current_password: sign_in.password.clone(),
        new_password: "NewPassw0rd".into(),
        new_password_confirm: "NewPassw0rd".into(),
    };
    let fresh = accounts::change_password(&w.app, &actor, &good)
        .await
        .unwrap();
    assert!(
        accounts::authenticate(&w.app, &other.token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        accounts::authenticate(&w.app, &fresh.token)
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        accounts::sign_in(&w.app, &sign_in).await,
        Err(Error::BadCredentials)
    ));
    w.sign_in(&sign_in.mobile, "NewPassw0rd").await;
}

#[tokio::test]
async fn only_admins_create_accounts() {
    let w = World::new().await;
    let input = org_input(16);
    accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let applicant = w
        .sign_in(&input.account.mobile, &input.account.password)
        .await;
    let create = app::admin::CreateUserInput {
        mobile: support::mobile(17),
        name: "审核员甲".into(),
        role: "reviewer".into(),
        email: String::new(),
        password: String::new(),
    };
    assert!(matches!(
        app::admin::create_user(&w.app, &applicant, &create).await,
        Err(Error::Forbidden)
    ));
    let created = app::admin::create_user(&w.app, &app::Actor::system(), &create)
        .await
        .unwrap();
    let password = created.generated_password.unwrap();
    let reviewer = w.sign_in(&create.mobile, &password).await;
    assert_eq!(reviewer.role, domain::account::Role::Reviewer);
    // A generated password must be changed before anything else.
    assert!(matches!(
        authz::authorize(&reviewer, app::Action::SearchOrganisations),
        Err(Error::PasswordChangeRequired)
    ));
}

#[tokio::test]
async fn demo_seed_creates_an_account_for_every_role() {
    let w = World::new().await;
    assert!(app::demo::is_empty(&w.app).await.unwrap());
    let accounts = app::demo::seed(&w.app).await.unwrap();
    for role in domain::account::Role::ALL {
        assert!(accounts.iter().any(|a| a.role == role), "{role}");
    }
    for a in &accounts {
        let actor = w.sign_in(a.mobile, &a.password).await;
        assert_eq!(actor.role, a.role);
        let query = app::applications::ListQuery::default();
        match a.role {
            // The sample orders: a draft, one to pay, one paid and waiting for 初审.
            domain::account::Role::Reviewer => {
                let queue = app::applications::queue(&w.app, &actor, &query)
                    .await
                    .unwrap();
                assert_eq!(queue.total, 1);
                assert_eq!(
                    queue.items[0].status,
                    domain::application::Status::AwaitingFirstReview
                );
            }
            domain::account::Role::Applicant if actor.is_org_admin() => {
                let list = app::applications::list(&w.app, &actor, &query)
                    .await
                    .unwrap();
                let mut statuses: Vec<_> = list.items.iter().map(|s| s.status.as_str()).collect();
                statuses.sort_unstable();
                assert_eq!(
                    statuses,
                    ["awaiting_first_review", "awaiting_payment", "draft"]
                );
            }
            _ => {}
        }
    }
    assert!(!app::demo::is_empty(&w.app).await.unwrap());
}
