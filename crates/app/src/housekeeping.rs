//! Periodic clean-up. Idempotent, so several instances may run it without a lease.

use crate::{App, Error};

/// What one run removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Purged {
    pub sessions: u64,
    pub sign_in_failures: u64,
    /// 证书登录 / 绑定CA challenges expired a day ago or more.
    pub challenges: u64,
}

/// Deletes expired sessions, sign-in failures older than the throttling window, and
/// certificate challenges a day past their expiry.
pub async fn purge_expired(app: &App) -> Result<Purged, Error> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let sessions = store::sessions::delete_expired(&mut conn, now).await?;
    let sign_in_failures =
        store::sign_in_failures::delete_before(&mut conn, now - crate::accounts::THROTTLE_WINDOW)
            .await?;
    let challenges = store::bindings::delete_challenges_before(
        &mut conn,
        now - jiff::SignedDuration::from_hours(24),
    )
    .await?;
    Ok(Purged {
        sessions,
        sign_in_failures,
        challenges,
    })
}

/// The CA's periodic work: a fresh CRL once the last is a day old, a new OCSP responder
/// certificate before the current one runs out. Nothing without a CA.
pub async fn maintain_ca(app: &App) -> Result<crate::ca::watch::Maintained, Error> {
    crate::ca::watch::maintain(app).await
}

/// The expiry reminders due now (30, 7 and 1 days before a certificate ends); see
/// [`crate::reminders`]. Several instances may run it at once: each reminder goes out once.
pub async fn send_reminders(app: &App) -> Result<crate::reminders::Reminded, Error> {
    crate::reminders::send_due(app).await
}
