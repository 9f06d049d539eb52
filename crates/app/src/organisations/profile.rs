//! 单位信息: view and edit an organisation's profile. The credit code is fixed once registered.

use domain::ids::OrganisationId;
use domain::organisation::{Address, CreditCode, OrgName, OrgType, ShortText};
use domain::text::PersonName;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::organisations::{self, OrganisationRecord};

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    #[schema(value_type = String)]
    pub id: OrganisationId,
    pub name: String,
    /// purchaser | supplier | agency.
    #[schema(value_type = String)]
    pub org_type: OrgType,
    /// The USCC, or the stand-in code certdesk generated.
    pub credit_code: String,
    /// False when `credit_code` is a generated stand-in (有社会信用代码证: 无).
    pub has_uscc: bool,
    pub registration_authority: String,
    pub region: String,
    pub address: String,
    pub legal_representative: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl From<OrganisationRecord> for OrganisationView {
    fn from(r: OrganisationRecord) -> Self {
        OrganisationView {
            id: r.id,
            name: r.name,
            org_type: r.org_type,
            has_uscc: matches!(r.credit_code, CreditCode::Uscc(_)),
            credit_code: r.credit_code.as_str().to_owned(),
            registration_authority: r.registration_authority,
            region: r.region,
            address: r.address,
            legal_representative: r.legal_representative,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The editable profile, as typed.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ProfileInput {
    pub org_name: String,
    pub org_type: String,
    pub registration_authority: String,
    pub region: String,
    pub address: String,
    pub legal_representative: String,
}

impl From<&OrganisationView> for ProfileInput {
    fn from(v: &OrganisationView) -> Self {
        ProfileInput {
            org_name: v.name.clone(),
            org_type: v.org_type.as_str().to_owned(),
            registration_authority: v.registration_authority.clone(),
            region: v.region.clone(),
            address: v.address.clone(),
            legal_representative: v.legal_representative.clone(),
        }
    }
}

pub async fn profile(
    app: &App,
    actor: &Actor,
    org: OrganisationId,
) -> Result<OrganisationView, Error> {
    authorize(actor, Action::ViewOrganisation(org))?;
    let mut conn = app.store.conn().await?;
    organisations::find(&mut conn, org)
        .await?
        .map(OrganisationView::from)
        .ok_or(Error::NotFound)
}

pub async fn update_profile(
    app: &App,
    actor: &Actor,
    org: OrganisationId,
    input: &ProfileInput,
) -> Result<OrganisationView, Error> {
    authorize(actor, Action::EditOrganisation(org))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("org_name", OrgName::parse(&input.org_name));
    let org_type = errors.check("org_type", OrgType::parse(&input.org_type));
    let authority = errors.check(
        "registration_authority",
        ShortText::parse(&input.registration_authority),
    );
    let region = errors.check("region", ShortText::parse(&input.region));
    let address = errors.check("address", Address::parse(&input.address));
    let legal = errors.check(
        "legal_representative",
        PersonName::parse(&input.legal_representative),
    );
    errors.into_result()?;
    let (Some(name), Some(org_type), Some(authority), Some(region), Some(address), Some(legal)) =
        (name, org_type, authority, region, address, legal)
    else {
        return Err(Error::Internal(
            "parsed fields missing without errors".into(),
        ));
    };
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if organisations::find(&mut tx, org).await?.is_none() {
        return Err(Error::NotFound);
    }
    organisations::update_profile(
        &mut tx,
        org,
        &organisations::Profile {
            name: name.as_str(),
            org_type,
            registration_authority: authority.as_str(),
            region: region.as_str(),
            address: address.as_str(),
            legal_representative: legal.as_str(),
        },
        now,
    )
    .await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "organisation.updated",
        &format!("organisation:{org}"),
        "profile updated",
    )
    .await?;
    let updated = organisations::find(&mut tx, org)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(updated.into())
}

/// Staff search by name or credit code.
pub async fn search(app: &App, actor: &Actor, query: &str) -> Result<Vec<OrganisationView>, Error> {
    authorize(actor, Action::SearchOrganisations)?;
    let mut conn = app.store.conn().await?;
    let found = organisations::search(&mut conn, query.trim(), 50).await?;
    Ok(found.into_iter().map(OrganisationView::from).collect())
}
