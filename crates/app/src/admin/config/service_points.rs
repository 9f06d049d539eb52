//! 办理点: where applicants apply on site and pick up their keys.

use domain::ids::ServicePointId;
use domain::text::Line;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::Conflict;
use store::config::{ServicePoint, ServicePointFields};

use super::{audit, parsed};
use crate::applications::ticked;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServicePointView {
    #[schema(value_type = String)]
    pub id: ServicePointId,
    pub name: String,
    pub address: String,
    /// 办公时间, as written: `工作日 9:00–17:00`.
    pub hours: String,
    pub phone: String,
    /// Offered to new applications.
    pub active: bool,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<ServicePoint> for ServicePointView {
    fn from(p: ServicePoint) -> Self {
        ServicePointView {
            id: p.id,
            name: p.name,
            address: p.address,
            hours: p.hours,
            phone: p.phone,
            active: p.active,
            created_at: p.created_at,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ServicePointInput {
    pub name: String,
    pub address: String,
    pub hours: String,
    /// Optional: a landline or mobile, digits with `-`, `+`, spaces or brackets.
    pub phone: String,
    /// "yes" to offer it to new applications. A new service point is always open.
    pub active: String,
}

impl From<&ServicePointView> for ServicePointInput {
    fn from(v: &ServicePointView) -> Self {
        ServicePointInput {
            name: v.name.clone(),
            address: v.address.clone(),
            hours: v.hours.clone(),
            phone: v.phone.clone(),
            active: if v.active { "yes" } else { "" }.into(),
        }
    }
}

struct Parsed {
    name: Line<60>,
    address: Line<200>,
    hours: Line<100>,
    phone: String,
}

/// A phone number as people write one: empty, or digits with `-`, `+`, spaces, brackets.
pub(super) fn optional_phone(errors: &mut FieldErrors, field: &'static str, s: &str) -> String {
    let t = s.trim();
    let ok = t.chars().count() <= 40
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ' | '(' | ')' | '（' | '）'));
    if !ok {
        errors.add(field, "config.error.phone");
    }
    t.to_owned()
}

fn parse(input: &ServicePointInput) -> Result<Parsed, Error> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", Line::<60>::parse(&input.name));
    let address = errors.check("address", Line::<200>::parse(&input.address));
    let hours = errors.check("hours", Line::<100>::parse(&input.hours));
    let phone = optional_phone(&mut errors, "phone", &input.phone);
    let (name, (address, hours)) = parsed(errors, name.zip(address.zip(hours)))?;
    Ok(Parsed {
        name,
        address,
        hours,
        phone,
    })
}

fn name_taken(e: store::StoreError) -> Error {
    if e.conflict() == Some(Conflict::ServicePointName) {
        Error::field("name", "config.error.service_point_name_taken")
    } else {
        e.into()
    }
}

/// Every service point, open or closed, by name.
pub async fn service_points(app: &App, actor: &Actor) -> Result<Vec<ServicePointView>, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    Ok(store::config::service_points(&mut conn)
        .await?
        .into_iter()
        .map(ServicePointView::from)
        .collect())
}

pub async fn service_point(
    app: &App,
    actor: &Actor,
    id: ServicePointId,
) -> Result<ServicePointView, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    store::config::service_point(&mut conn, id)
        .await?
        .map(ServicePointView::from)
        .ok_or(Error::NotFound)
}

pub async fn create_service_point(
    app: &App,
    actor: &Actor,
    input: &ServicePointInput,
) -> Result<ServicePointId, Error> {
    authorize(actor, Action::Configure)?;
    let p = parse(input)?;
    let id = ServicePointId::new();
    let mut tx = app.store.begin().await?;
    store::config::insert_service_point(
        &mut tx,
        id,
        &ServicePointFields {
            name: p.name.as_str(),
            address: p.address.as_str(),
            hours: p.hours.as_str(),
            phone: &p.phone,
            active: true,
        },
        app.now(),
    )
    .await
    .map_err(name_taken)?;
    audit(
        &mut tx,
        app,
        actor,
        "config.service_point.created",
        &format!("service_point:{id}"),
        p.name.as_str(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(id)
}

pub async fn update_service_point(
    app: &App,
    actor: &Actor,
    id: ServicePointId,
    input: &ServicePointInput,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let p = parse(input)?;
    let active = ticked(&input.active);
    let mut tx = app.store.begin().await?;
    let found = store::config::update_service_point(
        &mut tx,
        id,
        &ServicePointFields {
            name: p.name.as_str(),
            address: p.address.as_str(),
            hours: p.hours.as_str(),
            phone: &p.phone,
            active,
        },
    )
    .await
    .map_err(name_taken)?;
    if !found {
        return Err(Error::NotFound);
    }
    audit(
        &mut tx,
        app,
        actor,
        "config.service_point.updated",
        &format!("service_point:{id}"),
        &format!("{} active {active}", p.name.as_str()),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Closes a service point to new applications; those that chose it keep it.
pub async fn deactivate_service_point(
    app: &App,
    actor: &Actor,
    id: ServicePointId,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut tx = app.store.begin().await?;
    if !store::config::deactivate_service_point(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    audit(
        &mut tx,
        app,
        actor,
        "config.service_point.deactivated",
        &format!("service_point:{id}"),
        "",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
