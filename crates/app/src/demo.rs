//! Demo data: an account for every role, a demo organisation with its admin and a
//! member, and an individual. Passwords are random, printed once by the CLI.

use domain::account::Role;
use domain::ids::OrganisationId;

use crate::accounts::{
    AccountFields, RegisterIndividualInput, RegisterOrganisationInput, register_individual,
    register_organisation,
};
use crate::admin::{CreateUserInput, create_user};
use crate::organisations::{AddMemberInput, add_member};
use crate::{Actor, App, Error, random};

/// One seeded account, to print.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub label: &'static str,
    pub role: Role,
    pub mobile: &'static str,
    pub name: &'static str,
    pub password: String,
}

const STAFF: [(&str, Role, &str, &str); 4] = [
    ("系统管理员 admin", Role::Admin, "13900000001", "管理员演示"),
    (
        "审核员 reviewer",
        Role::Reviewer,
        "13900000002",
        "审核员演示",
    ),
    (
        "制证员 operator",
        Role::Operator,
        "13900000003",
        "制证员演示",
    ),
    ("财务 finance", Role::Finance, "13900000004", "财务演示"),
];
const ORG_ADMIN: (&str, &str) = ("13900000005", "单位管理员演示");
const ORG_MEMBER: (&str, &str) = ("13900000006", "经办人演示");
const INDIVIDUAL: (&str, &str) = ("13900000007", "个人演示");
/// A valid ID number for the demo individual (born 1990-01-01).
const INDIVIDUAL_ID: &str = "110105199001010010";

/// True when the database has no accounts yet: a first start.
pub async fn is_empty(app: &App) -> Result<bool, Error> {
    let mut conn = app.store.conn().await?;
    Ok(store::users::count(&mut conn).await? == 0)
}

/// Creates the demo accounts. Fails with a mobile-taken error if they exist already.
pub async fn seed(app: &App) -> Result<Vec<DemoAccount>, Error> {
    let system = Actor::system();
    let mut out = Vec::new();
    for (label, role, mobile, name) in STAFF {
        let password = random::password(app.random.as_ref());
        create_user(
            app,
            &system,
            &CreateUserInput {
                mobile: mobile.into(),
                name: name.into(),
                role: role.as_str().into(),
                email: String::new(),
                password: password.clone(),
            },
        )
        .await?;
        out.push(DemoAccount {
            label,
            role,
            mobile,
            name,
            password,
        });
    }

    let password = random::password(app.random.as_ref());
    let registered = register_organisation(
        app,
        &RegisterOrganisationInput {
            account: AccountFields {
                mobile: ORG_ADMIN.0.into(),
                password: password.clone(),
                password_confirm: password.clone(),
                name: ORG_ADMIN.1.into(),
                email: "demo@example.com".into(),
            },
            org_name: "演示采购单位".into(),
            org_type: "purchaser".into(),
            has_uscc: true,
            uscc: DEMO_USCC.into(),
            registration_authority: "演示市市场监督管理局".into(),
            region: "演示省本级".into(),
            address: "演示市演示区演示路1号".into(),
            legal_representative: "法人演示".into(),
        },
    )
    .await?;
    out.push(DemoAccount {
        label: "单位管理员 applicant (org admin)",
        role: Role::Applicant,
        mobile: ORG_ADMIN.0,
        name: ORG_ADMIN.1,
        password,
    });

    // The member is added by the org admin, then given a known password so it can sign in directly.
    let org: OrganisationId = registered
        .organisation_id
        .ok_or_else(|| Error::Internal("demo organisation missing".into()))?;
    let admin_session = crate::accounts::sign_in(
        app,
        &crate::accounts::SignInInput {
            mobile: ORG_ADMIN.0.into(),
            password: out.last().map(|a| a.password.clone()).unwrap_or_default(),
        },
    )
    .await?;
    let admin = crate::accounts::authenticate(app, &admin_session.token)
        .await?
        .ok_or(Error::Unauthenticated)?;
    crate::accounts::sign_out(app, &admin_session.token).await?;
    let added = add_member(
        app,
        &admin.actor,
        org,
        &AddMemberInput {
            name: ORG_MEMBER.1.into(),
            mobile: ORG_MEMBER.0.into(),
            email: String::new(),
            role: "member".into(),
        },
    )
    .await?;
    let member_password = added
        .initial_password
        .ok_or_else(|| Error::Internal("demo member had an account already".into()))?;
    out.push(DemoAccount {
        label: "经办人 applicant (member, must change password)",
        role: Role::Applicant,
        mobile: ORG_MEMBER.0,
        name: ORG_MEMBER.1,
        password: member_password,
    });

    let password = random::password(app.random.as_ref());
    register_individual(
        app,
        &RegisterIndividualInput {
            account: AccountFields {
                mobile: INDIVIDUAL.0.into(),
                password: password.clone(),
                password_confirm: password.clone(),
                name: INDIVIDUAL.1.into(),
                email: String::new(),
            },
            id_number: INDIVIDUAL_ID.into(),
        },
    )
    .await?;
    out.push(DemoAccount {
        label: "个人 applicant (individual)",
        role: Role::Applicant,
        mobile: INDIVIDUAL.0,
        name: INDIVIDUAL.1,
        password,
    });
    tracing::info!(accounts = out.len(), "demo data seeded");
    Ok(out)
}

/// Valid by the GB 32100 check (see the test below).
const DEMO_USCC: &str = "91330100MA2DEM001H";

#[cfg(test)]
mod tests {
    #[test]
    fn demo_identifiers_are_valid() {
        assert!(domain::ident::Uscc::parse(super::DEMO_USCC).is_ok());
        assert!(domain::ident::IdNumber::parse(super::INDIVIDUAL_ID).is_ok());
    }
}
