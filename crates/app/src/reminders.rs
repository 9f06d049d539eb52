//! Expiry reminders: 30, 7 and 1 days before a certificate ends, a notification and an
//! e-mail (through the outbox) to the people it concerns, with the link that starts 延期.
//!
//! - **Which certificates**: valid (not revoked), not yet ended, not superseded by a newer
//!   certificate that replaces them, and without a submitted application under way that
//!   concerns them (延期, 补办, 信息变更, 年检 or 注销 naming its serial: the holder is on it
//!   already). Drafts do not count: a forgotten draft is what a reminder is for.
//! - **Once**: each (certificate, threshold) is recorded in `certificate_reminders` in the
//!   transaction that writes the notifications and queues the e-mails; the primary key
//!   lets one of several racing instances win, and the others send nothing.
//! - **Late runs**: only the nearest threshold that is due is sent. A job that was down
//!   through the 30- and 7-day moments sends the 1-day reminder alone; the skipped
//!   thresholds are never sent afterwards.
//! - **Scale**: each threshold's window is walked through the index on `not_after`, a
//!   page at a time, never the whole table.
//!
//! Who is told: the certificate's holder (`holder_user_id`) when set. For an organisation's
//! certificate also whoever applied for it (as [`crate::notifications`] tells the
//! applicant of an order), while still a member, and the organisation's current admins
//! (单位管理员), who act for its people. For an individual's certificate without a holder,
//! the applicant. Disabled accounts are left out.

use domain::application::CertSerial;
use domain::ids::UserId;
use domain::organisation::MemberRole;
use jiff::SignedDuration;
use store::AnyConnection;
use store::reminders::{DueCertificate, DueWindow};

use crate::applications::ApplicationInput;
use crate::{App, Error};

/// The thresholds, in days before the end, nearest first.
pub const THRESHOLDS: [u32; 3] = [1, 7, 30];
/// Certificates read per page of a window.
const PAGE: u32 = 200;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reminded {
    /// Certificates reminded of (one threshold each).
    pub certificates: u32,
    /// Certificates passed over because an application concerning them is under way.
    pub under_way: u32,
}

/// Sends every reminder due now. Safe to run on several instances at once and as often
/// as wanted; hourly is enough (a 1-day reminder then goes out 23–24 hours before the end).
pub async fn send_due(app: &App) -> Result<Reminded, Error> {
    let now = app.now();
    let mut done = Reminded::default();
    let mut nearer = now;
    for days in THRESHOLDS {
        let window = DueWindow {
            ends_after: nearer,
            ends_until: now + SignedDuration::from_hours(24 * i64::from(days)),
            days,
        };
        nearer = window.ends_until;
        let mut after = None;
        loop {
            let page = {
                let mut conn = app.store.conn().await?;
                store::reminders::due(&mut conn, window, after, PAGE).await?
            };
            let Some(last) = page.last() else { break };
            after = Some((last.not_after, last.id));
            let full = u32::try_from(page.len()).unwrap_or(u32::MAX) >= PAGE;
            for cert in &page {
                match remind(app, cert, days).await? {
                    Outcome::Sent => done.certificates += 1,
                    Outcome::UnderWay => done.under_way += 1,
                    Outcome::Taken => {}
                }
            }
            if !full {
                break;
            }
        }
    }
    Ok(done)
}

enum Outcome {
    Sent,
    UnderWay,
    /// Another instance recorded it first.
    Taken,
}

async fn remind(app: &App, cert: &DueCertificate, days: u32) -> Result<Outcome, Error> {
    let mut tx = app.store.begin().await?;
    if under_way(&mut tx, cert).await? {
        return Ok(Outcome::UnderWay);
    }
    if !store::reminders::record(&mut tx, cert.id, days, app.now()).await? {
        return Ok(Outcome::Taken);
    }
    let to = recipients(&mut tx, cert).await?;
    crate::notifications::expiry_reminder(app, &mut tx, &to, cert).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(certificate = %cert.id, days, recipients = to.len(), "expiry reminder sent");
    Ok(Outcome::Sent)
}

/// Whether a submitted application still under way names this certificate.
async fn under_way(conn: &mut AnyConnection, cert: &DueCertificate) -> Result<bool, Error> {
    let owner_applicant = cert.holder_user_id.or(cert.applicant_id);
    let forms = store::reminders::open_forms(conn, cert.organisation_id, owner_applicant).await?;
    let serial = significant(&cert.serial);
    Ok(forms.iter().any(|form| {
        serde_json::from_str::<ApplicationInput>(form)
            .ok()
            .and_then(|input| CertSerial::parse(&input.certificate_serial).ok())
            .is_some_and(|s| significant(s.as_str()) == serial)
    }))
}

/// A hex serial without leading zeros, so "00A1" and "A1" compare equal.
fn significant(hex: &str) -> String {
    hex.trim_start_matches('0').to_ascii_uppercase()
}

async fn recipients(conn: &mut AnyConnection, cert: &DueCertificate) -> Result<Vec<UserId>, Error> {
    let mut out: Vec<UserId> = Vec::new();
    if let Some(holder) = cert.holder_user_id {
        out.push(holder);
    }
    match cert.organisation_id {
        Some(org) => {
            let members = store::memberships::list(conn, org).await?;
            if let Some(applicant) = cert.applicant_id
                && members.iter().any(|m| m.user_id == applicant)
            {
                out.push(applicant);
            }
            out.extend(
                members
                    .iter()
                    .filter(|m| m.role == MemberRole::Admin)
                    .map(|m| m.user_id),
            );
        }
        None => {
            if cert.holder_user_id.is_none()
                && let Some(applicant) = cert.applicant_id
            {
                out.push(applicant);
            }
        }
    }
    let mut unique = Vec::with_capacity(out.len());
    for user in out {
        if unique.contains(&user) {
            continue;
        }
        if store::users::find(conn, user)
            .await?
            .is_some_and(|u| !u.disabled)
        {
            unique.push(user);
        }
    }
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_without_leading_zeros() {
        assert_eq!(significant("00a1"), significant("A1"));
        assert_ne!(significant("A10"), significant("A1"));
    }

    #[test]
    fn thresholds_nearest_first() {
        assert!(THRESHOLDS.windows(2).all(|w| w[0] < w[1]));
    }
}
