//! 单位信息 and 人员管理, through the app functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::Error;
use app::accounts;
use app::organisations::{self, AddMemberInput, ProfileInput};
use support::{World, org_input};

async fn org_with_admin(w: &World, n: u32) -> (domain::ids::OrganisationId, app::Actor) {
    let input = org_input(n);
    let r = accounts::register_organisation(&w.app, &input)
        .await
        .unwrap();
    let admin = w
        .sign_in(&input.account.mobile, &input.account.password)
        .await;
    (r.organisation_id.unwrap(), admin)
}

fn member(n: u32) -> AddMemberInput {
    AddMemberInput {
        name: format!("人员{n}"),
        mobile: support::mobile(n),
        email: String::new(),
        role: String::new(),
    }
}

#[tokio::test]
async fn the_admin_edits_the_profile_and_the_code_stays() {
    let w = World::new().await;
    let (org, admin) = org_with_admin(&w, 1).await;
    let before = organisations::profile(&w.app, &admin, org).await.unwrap();
    let mut edit = ProfileInput::from(&before);
    edit.org_name = "新名称单位".into();
    edit.address = "  新地址 ".into();
    let after = organisations::update_profile(&w.app, &admin, org, &edit)
        .await
        .unwrap();
    assert_eq!(after.name, "新名称单位");
    assert_eq!(after.address, "新地址");
    assert_eq!(after.credit_code, before.credit_code);

    edit.org_type = String::new();
    let Err(Error::Invalid(e)) = organisations::update_profile(&w.app, &admin, org, &edit).await
    else {
        panic!("empty type accepted");
    };
    assert_eq!(e.get("org_type"), Some("org_type.unknown"));
}

#[tokio::test]
async fn a_new_member_gets_an_initial_password_to_change_first() {
    let w = World::new().await;
    let (org, admin) = org_with_admin(&w, 2).await;
    let added = organisations::add_member(&w.app, &admin, org, &member(3))
        .await
        .unwrap();
    let password = added.initial_password.unwrap();
    let m = w.sign_in(&support::mobile(3), &password).await;
    assert_eq!(m.organisation(), Some(org));
    assert!(!m.is_org_admin());
    assert!(m.must_change_password);
    assert!(matches!(
        organisations::profile(&w.app, &m, org).await,
        Err(Error::PasswordChangeRequired)
    ));
    let session = accounts::change_password(
        &w.app,
        &m,
        &accounts::ChangePasswordInput {
            current_password: password,
            new_password: "MyOwnPass1".into(),
            new_password_confirm: "MyOwnPass1".into(),
        },
    )
    .await
    .unwrap();
    let m = accounts::authenticate(&w.app, &session.token)
        .await
        .unwrap()
        .unwrap()
        .actor;
    assert!(organisations::profile(&w.app, &m, org).await.is_ok());
    // Members see the people, with phone numbers masked; they cannot manage them.
    let list = organisations::list_members(&w.app, &m, org).await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|p| p.mobile.contains("****")));
    assert!(matches!(
        organisations::add_member(&w.app, &m, org, &member(4)).await,
        Err(Error::Forbidden)
    ));
}

#[tokio::test]
async fn people_of_another_organisation_or_staff_cannot_be_added() {
    let w = World::new().await;
    let (org_a, admin_a) = org_with_admin(&w, 5).await;
    let (org_b, admin_b) = org_with_admin(&w, 6).await;
    let mut b_admin = member(6);
    b_admin.name = "经办人6".into();
    let Err(Error::Invalid(e)) = organisations::add_member(&w.app, &admin_a, org_a, &b_admin).await
    else {
        panic!("member of another organisation added");
    };
    assert_eq!(e.get("mobile"), Some("member.in_other_org"));

    let mut wrong_name = member(6);
    wrong_name.name = "别人".into();
    let Err(Error::Invalid(e)) =
        organisations::add_member(&w.app, &admin_a, org_a, &wrong_name).await
    else {
        panic!("name mismatch accepted");
    };
    assert_eq!(e.get("name"), Some("member.name_mismatch"));

    // An admin of one organisation cannot touch another's people.
    assert!(matches!(
        organisations::add_member(&w.app, &admin_b, org_a, &member(7)).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        organisations::profile(&w.app, &admin_b, org_a).await,
        Err(Error::Forbidden)
    ));
    let _ = org_b;

    app::admin::create_user(
        &w.app,
        &app::Actor::system(),
        &app::admin::CreateUserInput {
            mobile: support::mobile(20),
            name: "人员20".into(),
            role: "operator".into(),
            email: String::new(),
            password: String::new(),
        },
    )
    .await
    .unwrap();
    let Err(Error::Invalid(e)) =
        organisations::add_member(&w.app, &admin_a, org_a, &member(20)).await
    else {
        panic!("staff added to an organisation");
    };
    assert_eq!(e.get("mobile"), Some("member.is_staff"));
}

#[tokio::test]
async fn the_last_admin_stays_and_removed_members_lose_access_at_once() {
    let w = World::new().await;
    let (org, admin) = org_with_admin(&w, 8).await;
    assert!(matches!(
        organisations::remove_member(&w.app, &admin, org, admin.id).await,
        Err(Error::Refused("member.last_admin"))
    ));
    let added = organisations::add_member(&w.app, &admin, org, &member(9))
        .await
        .unwrap();
    let session = accounts::sign_in(
        &w.app,
        &accounts::SignInInput {
            mobile: support::mobile(9),
            password: added.initial_password.unwrap(),
        },
    )
    .await
    .unwrap();
    organisations::remove_member(&w.app, &admin, org, added.user_id)
        .await
        .unwrap();
    assert!(matches!(
        organisations::remove_member(&w.app, &admin, org, added.user_id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        organisations::list_members(&w.app, &admin, org)
            .await
            .unwrap()
            .len(),
        1
    );
    // The removed member's next request carries no organisation.
    let m = accounts::authenticate(&w.app, &session.token)
        .await
        .unwrap()
        .unwrap()
        .actor;
    assert_eq!(m.organisation(), None);
    assert!(organisations::profile(&w.app, &m, org).await.is_err());
}

#[tokio::test]
async fn staff_search_organisations_applicants_cannot() {
    let w = World::new().await;
    let (_, admin) = org_with_admin(&w, 10).await;
    org_with_admin(&w, 11).await;
    let reviewer = app::admin::create_user(
        &w.app,
        &app::Actor::system(),
        &app::admin::CreateUserInput {
            mobile: support::mobile(12),
            name: "审核员".into(),
            role: "reviewer".into(),
            email: String::new(),
            password: "Reviewer1".into(),
        },
    )
    .await
    .unwrap();
    let _ = reviewer;
    let reviewer = w.sign_in(&support::mobile(12), "Reviewer1").await;
    let all = organisations::search(&w.app, &reviewer, "").await.unwrap();
    assert_eq!(all.len(), 2);
    let one = organisations::search(&w.app, &reviewer, &support::uscc(11))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].name, "测试单位11");
    // LIKE wildcards in the query are taken literally.
    assert!(
        organisations::search(&w.app, &reviewer, "%")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        organisations::search(&w.app, &admin, "").await,
        Err(Error::Forbidden)
    ));
}
