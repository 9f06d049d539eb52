//! Expiry reminders: which certificates are due one, and the ledger that makes each
//! reminder go out once (`certificate_reminders`, primary key certificate and threshold).

use domain::application::CertType;
use domain::ids::{CertificateId, OrganisationId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// A certificate that a reminder may be due for, with what the reminder needs.
#[derive(Clone, Debug)]
pub struct DueCertificate {
    pub id: CertificateId,
    /// Upper-case hex.
    pub serial: String,
    pub cert_type: CertType,
    pub holder_name: String,
    pub organisation_id: Option<OrganisationId>,
    pub holder_user_id: Option<UserId>,
    /// Who applied for it (the application's applicant), when it came from an application.
    pub applicant_id: Option<UserId>,
    pub not_after: Timestamp,
}

/// The window to walk and the threshold it stands for.
#[derive(Clone, Copy, Debug)]
pub struct DueWindow {
    /// Certificates ending after this instant…
    pub ends_after: Timestamp,
    /// …and at or before this one.
    pub ends_until: Timestamp,
    /// The threshold (days) reminded of in this window: a certificate that already had a
    /// reminder for this threshold or a nearer one is left out.
    pub days: u32,
}

#[derive(FromRow)]
struct DueRow {
    id: String,
    serial: String,
    cert_type: String,
    holder_name: String,
    organisation_id: Option<String>,
    holder_user_id: Option<String>,
    applicant_id: Option<String>,
    not_after: i64,
}

/// The valid certificates ending within `window`, not superseded by a newer certificate
/// that replaces them, and not yet reminded of this threshold or a nearer one; ordered
/// by end then id, at most `limit`, after the (end, id) `after` (keyset paging).
///
/// It walks the index `certificates_not_after` over the window, never the whole table.
pub async fn due(
    conn: &mut AnyConnection,
    window: DueWindow,
    after: Option<(Timestamp, CertificateId)>,
    limit: u32,
) -> Result<Vec<DueCertificate>, StoreError> {
    let (after_end, after_id) = match after {
        Some((t, id)) => (micros(t), id.to_text()),
        // Ends strictly after `ends_after` anyway.
        None => (micros(window.ends_after), String::new()),
    };
    let rows: Vec<DueRow> = sqlx::query_as(&format!(
        "SELECT c.id, c.serial, c.cert_type, c.holder_name, c.organisation_id, c.holder_user_id, \
                a.applicant_id, c.not_after \
         FROM certificates c LEFT JOIN applications a ON a.id = c.application_id \
         WHERE c.not_after > $1 AND c.not_after <= $2 AND c.status = 'valid' \
           AND (c.not_after > $3 OR (c.not_after = $3 AND c.id > $4)) \
           AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.replaces = c.id) \
           AND NOT EXISTS (SELECT 1 FROM certificate_reminders r \
                           WHERE r.certificate_id = c.id AND r.days <= $5) \
         ORDER BY c.not_after, c.id LIMIT {limit}"
    ))
    .bind(micros(window.ends_after))
    .bind(micros(window.ends_until))
    .bind(after_end)
    .bind(after_id)
    .bind(i64::from(window.days))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt = |what: &str| StoreError::Corrupt(format!("certificate {}: {what}", r.id));
            let user = |v: &Option<String>, what: &str| {
                v.as_deref()
                    .map(UserId::parse)
                    .transpose()
                    .map_err(|_| corrupt(what))
            };
            Ok(DueCertificate {
                id: CertificateId::parse(&r.id).map_err(|_| corrupt("id"))?,
                cert_type: CertType::parse(&r.cert_type).map_err(|_| corrupt("cert_type"))?,
                organisation_id: r
                    .organisation_id
                    .as_deref()
                    .map(OrganisationId::parse)
                    .transpose()
                    .map_err(|_| corrupt("organisation"))?,
                holder_user_id: user(&r.holder_user_id, "holder")?,
                applicant_id: user(&r.applicant_id, "applicant")?,
                not_after: from_micros(r.not_after)?,
                serial: r.serial,
                holder_name: r.holder_name,
            })
        })
        .collect()
}

/// Records that the `days` reminder of `certificate` is sent. False when it was recorded
/// already (another instance won): the caller then sends nothing.
pub async fn record(
    conn: &mut AnyConnection,
    certificate: CertificateId,
    days: u32,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO certificate_reminders (certificate_id, days, sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (certificate_id, days) DO NOTHING",
    )
    .bind(certificate.to_text())
    .bind(i64::from(days))
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The thresholds reminded of for a certificate, nearest last.
pub async fn sent(
    conn: &mut AnyConnection,
    certificate: CertificateId,
) -> Result<Vec<u32>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT days FROM certificate_reminders WHERE certificate_id = $1 ORDER BY days DESC",
    )
    .bind(certificate.to_text())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(d,)| u32::try_from(d).ok())
        .collect())
}

/// The forms (JSON, as typed) of the submitted applications still under way (not
/// completed, rejected or withdrawn; drafts left out) that concern an existing
/// certificate (every kind but 新办), of an organisation, or of an individual applicant.
/// Uses the index on (organisation_id, created_at) or (applicant_id, created_at).
pub async fn open_forms(
    conn: &mut AnyConnection,
    organisation: Option<OrganisationId>,
    applicant: Option<UserId>,
) -> Result<Vec<String>, StoreError> {
    let (column, id) = match (organisation, applicant) {
        (Some(org), _) => ("organisation_id", org.to_text()),
        (None, Some(user)) => ("applicant_id", user.to_text()),
        (None, None) => return Ok(Vec::new()),
    };
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT form FROM applications WHERE {column} = $1 AND kind <> 'new' \
         AND position = 'at' AND submitted_at IS NOT NULL"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(f,)| f).collect())
}
