//! Repository tests; the same tests run on SQLite and PostgreSQL
//! (`CERTDESK_TEST_DATABASE=postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use domain::ident::{IdNumber, Phone};
use domain::ids::{OrganisationId, UserId};
use domain::organisation::{CreditCode, MemberRole, OrgType, StandInCode};
use jiff::{Timestamp, ToSpan};
use store::testing::TestDb;
use store::users::NewUser;
use store::{Conflict, organisations, sessions, sign_in_failures, users};

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

async fn insert_user(conn: &mut store::AnyConnection, mobile: &str) -> UserId {
    let id = UserId::new();
    users::insert(
        conn,
        &NewUser {
            id,
            mobile: &phone(mobile),
            name: "张三",
            email: None,
            password_hash: "hash",
            role: Role::Applicant,
            must_change_password: false,
            created_at: Timestamp::now(),
        },
    )
    .await
    .unwrap();
    id
}

fn profile() -> organisations::Profile<'static> {
    organisations::Profile {
        name: "示例采购单位",
        org_type: OrgType::Purchaser,
        registration_authority: "杭州市市场监督管理局",
        region: "浙江省本级",
        address: "杭州市西湖区",
        legal_representative: "李四",
    }
}

#[tokio::test]
async fn migrations_apply_twice_without_harm() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store.migrate().await.unwrap();
    let mut conn = store.conn().await.unwrap();
    assert_eq!(users::count(&mut conn).await.unwrap(), 0);
}

#[tokio::test]
async fn users_round_trip_and_mobile_is_unique() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let id = insert_user(&mut conn, "13800000001").await;
    let found = users::find_by_mobile(&mut conn, &phone("13800000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert_eq!(found.role, Role::Applicant);
    assert!(!found.disabled);

    let again = users::insert(
        &mut conn,
        &NewUser {
            id: UserId::new(),
            mobile: &phone("13800000001"),
            name: "王五",
            email: None,
            password_hash: "hash",
            role: Role::Reviewer,
            must_change_password: false,
            created_at: Timestamp::now(),
        },
    )
    .await;
    assert_eq!(again.unwrap_err().conflict(), Some(Conflict::UserMobile));
    assert_eq!(users::count(&mut conn).await.unwrap(), 1);
}

#[tokio::test]
async fn credit_codes_and_id_numbers_are_unique() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let user = insert_user(&mut conn, "13800000002").await;
    let code = CreditCode::StandIn(StandInCode::from_random(42));
    let now = Timestamp::now();
    organisations::insert(
        &mut conn,
        OrganisationId::new(),
        &code,
        &profile(),
        user,
        now,
    )
    .await
    .unwrap();
    let dup = organisations::insert(
        &mut conn,
        OrganisationId::new(),
        &code,
        &profile(),
        user,
        now,
    )
    .await;
    assert_eq!(
        dup.unwrap_err().conflict(),
        Some(Conflict::OrganisationCreditCode)
    );

    let idn = IdNumber::parse("11010519491231002X").unwrap();
    store::individuals::insert(&mut conn, user, &idn, now)
        .await
        .unwrap();
    let other = insert_user(&mut conn, "13800000003").await;
    let dup = store::individuals::insert(&mut conn, other, &idn, now).await;
    assert_eq!(
        dup.unwrap_err().conflict(),
        Some(Conflict::IndividualIdNumber)
    );
}

#[tokio::test]
async fn one_active_membership_per_person_and_removal_keeps_history() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let admin = insert_user(&mut conn, "13800000004").await;
    let member = insert_user(&mut conn, "13800000005").await;
    let now = Timestamp::now();
    let a = OrganisationId::new();
    let b = OrganisationId::new();
    organisations::insert(
        &mut conn,
        a,
        &CreditCode::StandIn(StandInCode::from_random(1)),
        &profile(),
        admin,
        now,
    )
    .await
    .unwrap();
    organisations::insert(
        &mut conn,
        b,
        &CreditCode::StandIn(StandInCode::from_random(2)),
        &profile(),
        admin,
        now,
    )
    .await
    .unwrap();
    store::memberships::add(&mut conn, a, admin, MemberRole::Admin, admin, now)
        .await
        .unwrap();
    store::memberships::add(&mut conn, a, member, MemberRole::Member, admin, now)
        .await
        .unwrap();
    let twice = store::memberships::add(&mut conn, b, member, MemberRole::Member, admin, now).await;
    assert_eq!(
        twice.unwrap_err().conflict(),
        Some(Conflict::MembershipActive)
    );

    assert_eq!(
        store::memberships::list(&mut conn, a).await.unwrap().len(),
        2
    );
    assert!(
        store::memberships::end(&mut conn, a, member, admin, now)
            .await
            .unwrap()
    );
    assert!(
        !store::memberships::end(&mut conn, a, member, admin, now)
            .await
            .unwrap()
    );
    let left = store::memberships::list(&mut conn, a).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_id, admin);
    // Having left, the person may join another organisation.
    store::memberships::add(&mut conn, b, member, MemberRole::Member, admin, now)
        .await
        .unwrap();
    let m = store::memberships::active_of(&mut conn, member)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.organisation_id, b);
}

#[tokio::test]
async fn sessions_expire() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let user = insert_user(&mut conn, "13800000006").await;
    let now = Timestamp::now();
    sessions::insert(&mut conn, "h1", user, "csrf", now, now + 1.hour())
        .await
        .unwrap();
    assert!(
        sessions::find_live(&mut conn, "h1", now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        sessions::find_live(&mut conn, "h1", now + 2.hours())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        sessions::delete_expired(&mut conn, now + 2.hours())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn sign_in_failures_count_per_login() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let now = Timestamp::now();
    for i in 0..3 {
        sign_in_failures::record(&mut conn, "13800000007", now + i.seconds())
            .await
            .unwrap();
    }
    sign_in_failures::record(&mut conn, "13800000008", now)
        .await
        .unwrap();
    let seen = sign_in_failures::since(&mut conn, "13800000007", now - 1.minute(), 10)
        .await
        .unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen[0] < seen[2]);
    sign_in_failures::clear(&mut conn, "13800000007")
        .await
        .unwrap();
    assert!(
        sign_in_failures::since(&mut conn, "13800000007", now - 1.minute(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn settings_first_writer_wins() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    assert_eq!(
        store::settings::get_or_insert(&mut conn, "k", "one")
            .await
            .unwrap(),
        "one"
    );
    assert_eq!(
        store::settings::get_or_insert(&mut conn, "k", "two")
            .await
            .unwrap(),
        "one"
    );
}

#[tokio::test]
async fn a_long_list_walks_on_after_its_last_row_and_sees_each_once() {
    use domain::application::{CertType, Channel, Delivery, Kind, OrderNumber, Status};
    use domain::ids::ApplicationId;
    use store::applications::{self, Filter, NewApplication, Order, Scope};

    let db = TestDb::new().await;
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let applicant = insert_user(&mut conn, "13800138000").await;
    // Seven orders, several created in the same microsecond: the id breaks the tie.
    let base = Timestamp::from_second(1_790_000_000).unwrap();
    let mut numbers = Vec::new();
    for n in 0..7u64 {
        let number = OrderNumber::new(jiff::civil::date(2026, 11, 22), n + 1);
        applications::insert(
            &mut conn,
            &NewApplication {
                id: ApplicationId::new(),
                order_number: &number,
                organisation_id: None,
                applicant_id: applicant,
                kind: Kind::New,
                cert_type: CertType::Personal,
                channel: Channel::Online,
                delivery: Delivery::Mail,
                procedure: "fill,pay,review:first,produce:operator,deliver",
                status: Status::Draft,
                form: "{}",
                quantity: 1,
                years: 1,
                at: base + (n as i64 / 3).seconds(),
            },
        )
        .await
        .unwrap();
        numbers.push(number.as_str().to_owned());
    }
    let mut filter = Filter::default();
    let mut walked = Vec::new();
    loop {
        let page = applications::page(&mut conn, Scope::All, &filter, Order::NewestFirst, 0, 2)
            .await
            .unwrap();
        filter.after = page.last().map(|s| (s.record.created_at, s.record.id));
        walked.extend(
            page.iter()
                .map(|s| s.record.order_number.as_str().to_owned()),
        );
        if page.len() < 2 {
            break;
        }
    }
    let (all, total) = applications::list(
        &mut conn,
        Scope::All,
        &Filter::default(),
        Order::NewestFirst,
        0,
        20,
    )
    .await
    .unwrap();
    assert_eq!(total, 7);
    let listed: Vec<String> = all
        .iter()
        .map(|s| s.record.order_number.as_str().to_owned())
        .collect();
    assert_eq!(walked, listed, "the walk is the list, in its order");
    let mut sorted = walked.clone();
    sorted.sort();
    assert_eq!(sorted, numbers, "each order exactly once");
}
