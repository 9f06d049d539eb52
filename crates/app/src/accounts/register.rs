//! 注册: a new account together with what it registers — an organisation (主体注册,
//! the registering person becomes its 单位管理员) or an individual (个人).
//! All in one transaction: a failure midway leaves nothing half-created.

use domain::account::{Password, Role};
use domain::ident::{IdNumber, Phone, Uscc};
use domain::ids::{OrganisationId, UserId};
use domain::organisation::{
    Address, CreditCode, MemberRole, OrgName, OrgType, ShortText, StandInCode,
};
use domain::text::PersonName;
use serde::{Deserialize, Serialize};
use store::{Conflict, organisations, users};

use super::{PersonFields, new_password, optional_email};
use crate::{App, Error, FieldErrors, passwords, random};

/// The account part of a registration form, as typed.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AccountFields {
    /// 手机号码: the login.
    pub mobile: String,
    pub password: String,
    pub password_confirm: String,
    /// 姓名 (经办人).
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// 主体注册 form, as typed. Kept whole so a refused form shows every value again.
#[derive(Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RegisterOrganisationInput {
    #[serde(flatten)]
    pub account: AccountFields,
    /// 机构名称.
    pub org_name: String,
    /// purchaser (采购人) | supplier (供应商) | agency (代理机构).
    pub org_type: String,
    /// 有社会信用代码证: false for a body without one; certdesk then generates a stand-in code.
    #[serde(default = "yes")]
    pub has_uscc: bool,
    /// 统一社会信用代码.
    #[serde(default)]
    pub uscc: String,
    /// 注册机关 (as on the business licence).
    pub registration_authority: String,
    /// 所属区划.
    pub region: String,
    pub address: String,
    /// 法定代表人.
    pub legal_representative: String,
}

fn yes() -> bool {
    true
}

impl Default for RegisterOrganisationInput {
    fn default() -> Self {
        RegisterOrganisationInput {
            account: AccountFields::default(),
            org_name: String::new(),
            org_type: String::new(),
            has_uscc: true,
            uscc: String::new(),
            registration_authority: String::new(),
            region: String::new(),
            address: String::new(),
            legal_representative: String::new(),
        }
    }
}

/// 个人注册 form, as typed.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RegisterIndividualInput {
    #[serde(flatten)]
    pub account: AccountFields,
    /// 身份证号码.
    pub id_number: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(value_type = Option<String>)]
    pub organisation_id: Option<OrganisationId>,
    /// The organisation's USCC, or the stand-in code generated for it.
    pub credit_code: Option<String>,
}

fn parse_account(errors: &mut FieldErrors, a: &AccountFields) -> Option<(PersonFields, Password)> {
    let mobile = errors.check("mobile", Phone::parse(&a.mobile));
    let name = errors.check("name", PersonName::parse(&a.name));
    let email = optional_email(errors, "email", &a.email);
    let password = new_password(
        errors,
        "password",
        "password_confirm",
        &a.password,
        &a.password_confirm,
    );
    Some((
        PersonFields {
            mobile: mobile?,
            name: name?,
            email,
        },
        password?,
    ))
}

/// Registers an account and its organisation; the person becomes the organisation's admin.
pub async fn register_organisation(
    app: &App,
    input: &RegisterOrganisationInput,
) -> Result<Registered, Error> {
    let mut errors = FieldErrors::new();
    let account = parse_account(&mut errors, &input.account);
    let org_name = errors.check("org_name", OrgName::parse(&input.org_name));
    let org_type = errors.check("org_type", OrgType::parse(&input.org_type));
    let code = if input.has_uscc {
        errors
            .check("uscc", Uscc::parse(&input.uscc))
            .map(CreditCode::Uscc)
    } else {
        Some(CreditCode::StandIn(StandInCode::from_random(random::u64(
            app.random.as_ref(),
        ))))
    };
    let authority = errors.check(
        "registration_authority",
        ShortText::parse(&input.registration_authority),
    );
    let region = errors.check("region", ShortText::parse(&input.region));
    let address = errors.check("address", Address::parse(&input.address));
    let legal_rep = errors.check(
        "legal_representative",
        PersonName::parse(&input.legal_representative),
    );

    let mut conn = app.store.conn().await?;
    mobile_must_be_free(&mut conn, &mut errors, &account).await?;
    if let Some(code) = &code
        && organisations::find_by_code(&mut conn, code.as_str())
            .await?
            .is_some()
    {
        errors.add("uscc", "organisation.uscc_taken");
    }
    drop(conn);
    errors.into_result()?;
    let (
        Some((person, password)),
        Some(org_name),
        Some(org_type),
        Some(code),
        Some(authority),
        Some(region),
        Some(address),
        Some(legal_rep),
    ) = (
        account, org_name, org_type, code, authority, region, address, legal_rep,
    )
    else {
        return Err(Error::Internal(
            "parsed fields missing without errors".into(),
        ));
    };

    let hash = hash_new_password(app, &password).await?;
    let now = app.now();
    let user_id = UserId::new();
    let org_id = OrganisationId::new();
    let mut tx = app.store.begin().await?;
    insert_applicant(&mut tx, user_id, &person, &hash, now).await?;
    let profile = organisations::Profile {
        name: org_name.as_str(),
        org_type,
        registration_authority: authority.as_str(),
        region: region.as_str(),
        address: address.as_str(),
        legal_representative: legal_rep.as_str(),
    };
    organisations::insert(&mut tx, org_id, &code, &profile, user_id, now)
        .await
        .map_err(conflict_to_field)?;
    store::memberships::add(&mut tx, org_id, user_id, MemberRole::Admin, user_id, now).await?;
    store::audit::append(
        &mut tx,
        now,
        Some(user_id),
        "organisation.registered",
        &format!("organisation:{org_id}"),
        &format!(
            "user {user_id} registered organisation (has_uscc={})",
            code.is_uscc()
        ),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %user_id, organisation = %org_id, "organisation registered");
    Ok(Registered {
        user_id,
        organisation_id: Some(org_id),
        credit_code: Some(code.as_str().to_owned()),
    })
}

/// Registers an individual (个人) applicant: an account with a name and ID number.
pub async fn register_individual(
    app: &App,
    input: &RegisterIndividualInput,
) -> Result<Registered, Error> {
    let mut errors = FieldErrors::new();
    let account = parse_account(&mut errors, &input.account);
    let id_number = errors.check("id_number", IdNumber::parse(&input.id_number));
    let mut conn = app.store.conn().await?;
    mobile_must_be_free(&mut conn, &mut errors, &account).await?;
    drop(conn);
    errors.into_result()?;
    let (Some((person, password)), Some(id_number)) = (account, id_number) else {
        return Err(Error::Internal(
            "parsed fields missing without errors".into(),
        ));
    };

    let hash = hash_new_password(app, &password).await?;
    let now = app.now();
    let user_id = UserId::new();
    let mut tx = app.store.begin().await?;
    insert_applicant(&mut tx, user_id, &person, &hash, now).await?;
    store::individuals::insert(&mut tx, user_id, &id_number, now)
        .await
        .map_err(conflict_to_field)?;
    store::audit::append(
        &mut tx,
        now,
        Some(user_id),
        "individual.registered",
        &format!("user:{user_id}"),
        "individual registered",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user = %user_id, "individual registered");
    Ok(Registered {
        user_id,
        organisation_id: None,
        credit_code: None,
    })
}

/// The registering person's account, inside the registration's transaction.
async fn insert_applicant(
    conn: &mut store::AnyConnection,
    id: UserId,
    person: &PersonFields,
    password_hash: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    users::insert(
        conn,
        &users::NewUser {
            id,
            mobile: &person.mobile,
            name: person.name.as_str(),
            email: person.email.as_ref(),
            password_hash,
            role: Role::Applicant,
            must_change_password: false,
            created_at: now,
        },
    )
    .await
    .map_err(conflict_to_field)
}

/// Says so next to the field when the mobile number has an account already (the unique
/// constraint still decides a race; see [`conflict_to_field`]).
async fn mobile_must_be_free(
    conn: &mut store::AnyConnection,
    errors: &mut FieldErrors,
    account: &Option<(PersonFields, Password)>,
) -> Result<(), Error> {
    if let Some((person, _)) = account
        && users::find_by_mobile(conn, &person.mobile).await?.is_some()
    {
        errors.add("mobile", "account.mobile_taken");
    }
    Ok(())
}

pub(crate) async fn hash_new_password(app: &App, password: &Password) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    app.random.fill(&mut salt);
    passwords::hash(password.expose().to_owned(), salt).await
}

/// A race lost to another registration: say which field is taken.
pub(crate) fn conflict_to_field(e: store::StoreError) -> Error {
    match e.conflict() {
        Some(Conflict::UserMobile) => Error::field("mobile", "account.mobile_taken"),
        Some(Conflict::OrganisationCreditCode) => Error::field("uscc", "organisation.uscc_taken"),
        Some(Conflict::IndividualIdNumber) => {
            Error::field("id_number", "individual.id_number_taken")
        }
        Some(Conflict::MembershipActive) => Error::field("mobile", "member.in_other_org"),
        Some(
            Conflict::Payment
            | Conflict::ServicePointName
            | Conflict::PlatformName
            | Conflict::CaExists
            | Conflict::CertificateSerial
            | Conflict::CertificatePlatform
            | Conflict::CertificateBinding
            | Conflict::ChallengeCode,
        )
        | None => e.into(),
    }
}
