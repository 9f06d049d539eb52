//! 新增平台: linking a certificate to a 关联平台 (an active one), and unlinking it.
//! An unlink ends the link (`unlinked_at`); nothing is deleted.

use domain::ids::PlatformId;
use serde::Deserialize;

use super::view::visible;
use super::{Standing, listed, owner_of};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// 新增平台: which platform.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LinkInput {
    /// The id of an active 关联平台.
    pub platform: String,
}

fn platform_id(raw: &str) -> Result<PlatformId, Error> {
    if raw.trim().is_empty() {
        return Err(Error::field("platform", "certificate.platform_required"));
    }
    PlatformId::parse(raw.trim())
        .map_err(|_| Error::field("platform", "certificate.platform_unknown"))
}

/// Links the certificate to a platform. Refused: an inactive or unknown platform (next
/// to the field), a revoked or expired certificate, a platform linked already.
pub async fn link_platform(
    app: &App,
    actor: &Actor,
    serial: &str,
    input: &LinkInput,
) -> Result<(), Error> {
    let platform = platform_id(&input.platform)?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let c = listed(visible(&mut tx, actor, serial).await?);
    authorize(actor, Action::ManageCertificate(owner_of(&c)))?;
    if Standing::of(c.status, c.not_after, now) != Standing::Valid {
        return Err(Error::Refused("certificate.not_in_force"));
    }
    let p = store::config::linked_platform(&mut tx, platform)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| Error::field("platform", "certificate.platform_unknown"))?;
    let linked = store::certificates::platforms_of(&mut tx, &[c.id]).await?;
    if linked.iter().any(|l| l.platform_id == platform) {
        return Err(Error::Refused("certificate.platform_linked"));
    }
    match store::certificates::link(&mut tx, c.id, platform, now, actor.audit_id()).await {
        Ok(()) => {}
        // Two clicks at once: the database lets one link win.
        Err(e) if e.conflict() == Some(store::Conflict::CertificatePlatform) => {
            return Err(Error::Refused("certificate.platform_linked"));
        }
        Err(e) => return Err(e.into()),
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "certificate.platform_link",
        &c.serial,
        &format!("platform={}", p.id),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(certificate = %c.id, platform = %p.id, "certificate linked to platform");
    Ok(())
}

/// Ends the certificate's link to a platform.
pub async fn unlink_platform(
    app: &App,
    actor: &Actor,
    serial: &str,
    platform: &str,
) -> Result<(), Error> {
    let platform = platform_id(platform)?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let c = listed(visible(&mut tx, actor, serial).await?);
    authorize(actor, Action::ManageCertificate(owner_of(&c)))?;
    if !store::certificates::unlink(&mut tx, c.id, platform, now, actor.audit_id()).await? {
        return Err(Error::Refused("certificate.platform_not_linked"));
    }
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "certificate.platform_unlink",
        &c.serial,
        &format!("platform={platform}"),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(certificate = %c.id, %platform, "certificate unlinked from platform");
    Ok(())
}
