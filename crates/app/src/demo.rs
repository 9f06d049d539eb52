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
/// 办理点 for pickup and on-site business.
const SERVICE_POINTS: [(&str, &str, &str, &str); 2] = [
    (
        "演示市政务服务中心CA窗口",
        "演示市演示区市民大道100号政务服务中心二楼",
        "工作日 9:00-12:00，13:30-17:00",
        "0571-88880001",
    ),
    (
        "演示市公共资源交易中心服务点",
        "演示市演示区交易路8号一楼大厅",
        "工作日 8:30-17:30",
        "0571-88880002",
    ),
];
/// The demo organisation's 经办人 on its orders.
const DEMO_HANDLER_ID: &str = "110105198503150027";

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

    for (name, address, hours, phone) in SERVICE_POINTS {
        crate::admin::config::create_service_point(
            app,
            &system,
            &crate::admin::config::ServicePointInput {
                name: name.into(),
                address: address.into(),
                hours: hours.into(),
                phone: phone.into(),
                active: "yes".into(),
            },
        )
        .await?;
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
    let orders = seed_orders(app, &admin.actor).await?;
    tracing::info!(accounts = out.len(), orders, "demo data seeded");
    Ok(out)
}

/// A scanned document for the demo orders: the smallest valid PNG.
const DEMO_SCAN: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Sample orders of the demo organisation, at the steps a reviewer and an applicant
/// meet first: a draft, one waiting for payment, one paid and waiting for 初审.
async fn seed_orders(app: &App, applicant: &Actor) -> Result<usize, Error> {
    use crate::applications::{self as orders, ApplicationInput, StartInput, SubmitInput};
    let form = ApplicationInput {
        handler_name: ORG_ADMIN.1.into(),
        handler_id_number: DEMO_HANDLER_ID.into(),
        handler_mobile: ORG_ADMIN.0.into(),
        handler_email: "demo@example.com".into(),
        quantity: "1".into(),
        years: "1".into(),
        delivery: "mail".into(),
        mail_address: "演示市演示区演示路1号".into(),
        mail_recipient: ORG_ADMIN.1.into(),
        mail_phone: ORG_ADMIN.0.into(),
        ..ApplicationInput::default()
    };
    let start = StartInput {
        kind: "new".into(),
        cert_type: "org_master".into(),
        channel: "online".into(),
        agree_terms: "yes".into(),
        ..StartInput::default()
    };
    // 1. A draft, saved half-filled (修改保存).
    let draft = orders::start(app, applicant, &start).await?;
    let half = ApplicationInput {
        handler_id_number: String::new(),
        ..form.clone()
    };
    orders::save(app, applicant, draft, &half, None).await?;

    // 2. Submitted, waiting for payment; 3. paid through the sandbox, waiting for 初审.
    for paid in [false, true] {
        let id = orders::start(app, applicant, &start).await?;
        let view = orders::view(app, applicant, id).await?;
        for r in view.requirements.iter().filter(|r| r.required) {
            orders::upload_document(app, applicant, id, &r.document_kind, "scan.png", DEMO_SCAN)
                .await?;
        }
        orders::submit(
            app,
            applicant,
            id,
            &SubmitInput {
                form: form.clone(),
                acknowledge: "yes".into(),
                version: None,
            },
        )
        .await?;
        if paid {
            let payment = crate::payments::pay(app, applicant, id, None).await?;
            crate::payments::sandbox_confirm(app, &payment.out_trade_no).await?;
        }
    }
    Ok(3)
}

/// Valid by the GB 32100 check (see the test below).
const DEMO_USCC: &str = "91330100MA2DEM001H";

#[cfg(test)]
mod tests {
    #[test]
    fn demo_identifiers_are_valid() {
        assert!(domain::ident::Uscc::parse(super::DEMO_USCC).is_ok());
        assert!(domain::ident::IdNumber::parse(super::INDIVIDUAL_ID).is_ok());
        assert!(domain::ident::IdNumber::parse(super::DEMO_HANDLER_ID).is_ok());
    }
}
