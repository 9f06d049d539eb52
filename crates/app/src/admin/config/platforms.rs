//! 关联平台: the trading platforms where certificates are registered.

use domain::ids::PlatformId;
use domain::text::Line;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::Conflict;
use store::config::LinkedPlatform;

use super::{audit, parsed};
use crate::applications::ticked;
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformView {
    #[schema(value_type = String)]
    pub id: PlatformId,
    pub name: String,
    pub url: String,
    pub active: bool,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<LinkedPlatform> for PlatformView {
    fn from(p: LinkedPlatform) -> Self {
        PlatformView {
            id: p.id,
            name: p.name,
            url: p.url,
            active: p.active,
            created_at: p.created_at,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlatformInput {
    pub name: String,
    /// The platform's address: `https://…`.
    pub url: String,
    /// "yes" to list it. A new platform is always listed.
    pub active: String,
}

impl From<&PlatformView> for PlatformInput {
    fn from(v: &PlatformView) -> Self {
        PlatformInput {
            name: v.name.clone(),
            url: v.url.clone(),
            active: if v.active { "yes" } else { "" }.into(),
        }
    }
}

/// An http(s) address with a host and no spaces, at most 300 characters.
fn url(errors: &mut FieldErrors, s: &str) -> Option<String> {
    let t = s.trim();
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && host.contains('.') || host.starts_with("localhost")
    }) && t.chars().count() <= 300
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if t.is_empty() {
        errors.add("url", "text.empty");
        None
    } else if !ok {
        errors.add("url", "config.error.url");
        None
    } else {
        Some(t.to_owned())
    }
}

fn parse(input: &PlatformInput) -> Result<(Line<100>, String), Error> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", Line::<100>::parse(&input.name));
    let url = url(&mut errors, &input.url);
    parsed(errors, name.zip(url))
}

fn name_taken(e: store::StoreError) -> Error {
    if e.conflict() == Some(Conflict::PlatformName) {
        Error::field("name", "config.error.platform_name_taken")
    } else {
        e.into()
    }
}

pub async fn platforms(app: &App, actor: &Actor) -> Result<Vec<PlatformView>, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    Ok(store::config::linked_platforms(&mut conn)
        .await?
        .into_iter()
        .map(PlatformView::from)
        .collect())
}

pub async fn platform(app: &App, actor: &Actor, id: PlatformId) -> Result<PlatformView, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    store::config::linked_platform(&mut conn, id)
        .await?
        .map(PlatformView::from)
        .ok_or(Error::NotFound)
}

pub async fn create_platform(
    app: &App,
    actor: &Actor,
    input: &PlatformInput,
) -> Result<PlatformId, Error> {
    authorize(actor, Action::Configure)?;
    let (name, url) = parse(input)?;
    let id = PlatformId::new();
    let mut tx = app.store.begin().await?;
    store::config::insert_linked_platform(&mut tx, id, name.as_str(), &url, true, app.now())
        .await
        .map_err(name_taken)?;
    audit(
        &mut tx,
        app,
        actor,
        "config.platform.created",
        &format!("platform:{id}"),
        name.as_str(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(id)
}

pub async fn update_platform(
    app: &App,
    actor: &Actor,
    id: PlatformId,
    input: &PlatformInput,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let (name, url) = parse(input)?;
    let active = ticked(&input.active);
    let mut tx = app.store.begin().await?;
    let found = store::config::update_linked_platform(&mut tx, id, name.as_str(), &url, active)
        .await
        .map_err(name_taken)?;
    if !found {
        return Err(Error::NotFound);
    }
    audit(
        &mut tx,
        app,
        actor,
        "config.platform.updated",
        &format!("platform:{id}"),
        &format!("{} active {active}", name.as_str()),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
