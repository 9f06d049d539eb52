//! 证书管理: the certificates a person holds, as the applicant sees them (list, details,
//! downloads, 新增平台, starting 延期 / 补办 / 信息变更 / 注销 / 年检 from one), the staff's
//! certificate search, and the certificate profiles for admins.
//!
//! The CA writes the certificates (`crate::ca`); everything here reads them, except the
//! links to 关联平台, which are kept beside them and never deleted.

mod list;
mod platforms;
mod profiles;
mod start;
mod view;

pub use list::{ListQuery, ListView, SearchQuery, list, search};
pub use platforms::{LinkInput, link_platform, unlink_platform};
pub use profiles::{ProfileView, ProfilesView, SubjectFieldView, profiles};
pub(crate) use start::starting_from;
pub use view::{
    CertificateView, Download, DownloadFormat, OrderLink, PlatformChoice, download, view,
};

use std::collections::HashMap;

use domain::application::{CertType, Kind};
use domain::ids::{AuthorityId, CertificateId, PlatformId};
use jiff::Timestamp;
use serde::Serialize;
use store::AnyConnection;
use store::ca::CertificateStatus;
use store::certificates::{Listed, PlatformLink};

use crate::Error;
use crate::authz::CertificateOwner;

/// 状态 as people read it. Expired is not stored: a valid certificate past its end is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// 有效
    Valid,
    /// 已吊销
    Revoked,
    /// 已过期
    Expired,
}

impl Standing {
    pub const ALL: &'static [Standing] = &[Standing::Valid, Standing::Revoked, Standing::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Valid => "valid",
            Standing::Revoked => "revoked",
            Standing::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Standing> {
        Standing::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    pub fn of(status: CertificateStatus, not_after: Timestamp, now: Timestamp) -> Standing {
        match status {
            CertificateStatus::Revoked => Standing::Revoked,
            CertificateStatus::Valid if not_after <= now => Standing::Expired,
            CertificateStatus::Valid => Standing::Valid,
        }
    }

    fn shown(self) -> store::certificates::Shown {
        match self {
            Standing::Valid => store::certificates::Shown::Valid,
            Standing::Revoked => store::certificates::Shown::Revoked,
            Standing::Expired => store::certificates::Shown::Expired,
        }
    }
}

/// What may be started from a certificate (新增申请 prefilled): nothing on a revoked
/// one, no 信息变更 on an expired one, 年检 only for an e-seal.
pub fn offers(cert_type: CertType, standing: Standing) -> Vec<Kind> {
    if standing == Standing::Revoked {
        return Vec::new();
    }
    let mut kinds = vec![Kind::Renew, Kind::Replace];
    if standing != Standing::Expired {
        kinds.push(Kind::Change);
    }
    if cert_type == CertType::Seal {
        kinds.push(Kind::Inspect);
    }
    kinds.push(Kind::Cancel);
    kinds
}

/// 剩余天数: calendar days in Asia/Shanghai from today to the day it ends; 0 once ended.
pub fn days_left(not_after: Timestamp, now: Timestamp) -> i64 {
    if not_after <= now {
        return 0;
    }
    let days = shanghai_date(not_after)
        .since(shanghai_date(now))
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(0);
    days.max(0)
}

/// A 关联平台 a certificate is linked to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformView {
    #[schema(value_type = String)]
    pub id: PlatformId,
    pub name: String,
    #[schema(value_type = String)]
    pub linked_at: Timestamp,
}

/// One certificate as the lists show it (and the head of its details).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateSummary {
    /// Upper-case hex, as OpenSSL prints it.
    pub serial: String,
    /// 证书类型
    #[schema(value_type = String)]
    pub cert_type: CertType,
    /// 持有人
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    /// 颁发者: the issuing CA's common name.
    pub issuer: String,
    /// 锁序列号
    pub token_serial: Option<String>,
    #[schema(value_type = String)]
    pub not_before: Timestamp,
    #[schema(value_type = String)]
    pub not_after: Timestamp,
    /// 剩余天数 (Asia/Shanghai); 0 once it ended.
    pub days_left: i64,
    pub status: Standing,
    /// 关联平台, by name.
    pub platforms: Vec<PlatformView>,
    /// What the viewer may start from it (延期 …); empty for staff.
    #[schema(value_type = Vec<String>)]
    pub offers: Vec<Kind>,
    #[schema(value_type = String)]
    pub issued_at: Timestamp,
}

pub(crate) fn owner_of(c: &Listed) -> CertificateOwner {
    CertificateOwner {
        organisation: c.organisation_id,
        holder: c.holder_user_id,
    }
}

/// Issuers' common names, read once per CA per request.
#[derive(Default)]
pub(crate) struct Issuers(HashMap<AuthorityId, String>);

impl Issuers {
    pub(crate) async fn name(
        &mut self,
        conn: &mut AnyConnection,
        id: AuthorityId,
    ) -> Result<String, Error> {
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let der = store::certificates::issuer_certificate(conn, id)
            .await?
            .ok_or_else(|| Error::Internal(format!("issuer {id} missing")))?;
        let name = subject_common_name(&der)
            .ok_or_else(|| Error::Internal(format!("issuer {id}: no common name")))?;
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

fn subject_common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_owned)
}

/// The summaries of `rows`, with their issuers and platforms; `manage` says whether the
/// viewer may start applications from them.
pub(crate) async fn summaries(
    conn: &mut AnyConnection,
    rows: Vec<Listed>,
    now: Timestamp,
    manage: impl Fn(&Listed) -> bool,
) -> Result<Vec<CertificateSummary>, Error> {
    let ids: Vec<CertificateId> = rows.iter().map(|r| r.id).collect();
    let links = store::certificates::platforms_of(conn, &ids).await?;
    let mut issuers = Issuers::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let issuer = issuers.name(conn, r.issuer_id).await?;
        let platforms = platform_views(&links, r.id);
        out.push(summary(r, issuer, platforms, now, &manage));
    }
    Ok(out)
}

pub(crate) fn platform_views(links: &[PlatformLink], id: CertificateId) -> Vec<PlatformView> {
    links
        .iter()
        .filter(|l| l.certificate_id == id)
        .map(|l| PlatformView {
            id: l.platform_id,
            name: l.platform_name.clone(),
            linked_at: l.linked_at,
        })
        .collect()
}

pub(crate) fn summary(
    r: Listed,
    issuer: String,
    platforms: Vec<PlatformView>,
    now: Timestamp,
    manage: &impl Fn(&Listed) -> bool,
) -> CertificateSummary {
    let standing = Standing::of(r.status, r.not_after, now);
    let offers = if manage(&r) {
        offers(r.cert_type, standing)
    } else {
        Vec::new()
    };
    CertificateSummary {
        days_left: days_left(r.not_after, now),
        status: standing,
        offers,
        issuer,
        platforms,
        serial: r.serial,
        cert_type: r.cert_type,
        holder_name: r.holder_name,
        organisation_name: r.organisation_name,
        credit_code: r.credit_code,
        token_serial: r.token_serial,
        not_before: r.not_before,
        not_after: r.not_after,
        issued_at: r.created_at,
    }
}

fn shanghai_date(t: Timestamp) -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(tz).date()
}

/// A recorded certificate as the lists carry it.
pub(crate) fn listed(c: store::ca::Certificate) -> Listed {
    let i = c.issued;
    Listed {
        id: i.id,
        serial: i.serial,
        issuer_id: i.issuer_id,
        application_id: i.application_id,
        organisation_id: i.organisation_id,
        holder_user_id: i.holder_user_id,
        cert_type: i.cert_type,
        subject: i.subject,
        holder_name: i.holder_name,
        organisation_name: i.organisation_name,
        credit_code: i.credit_code,
        token_serial: i.token_serial,
        not_before: i.not_before,
        not_after: i.not_after,
        status: c.status,
        revoked_at: c.revoked_at,
        revocation_reason: c.revocation_reason,
        replaces: i.replaces,
        created_at: i.created_at,
    }
}

/// A serial as typed (hex, any case, with or without colons or spaces), in the stored
/// form: upper-case, no leading zero byte.
pub(crate) fn normalise_serial(typed: &str) -> Option<String> {
    let hex: String = typed
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    pki::Serial::from_hex(&hex).ok().map(|s| s.to_hex())
}

/// A certificate a client presents (the USB-key tool): PEM, or base64 DER. `None` when it
/// is neither.
pub(crate) fn presented_der(raw: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let raw = raw.trim();
    let body: String = if raw.starts_with("-----BEGIN") {
        raw.lines().filter(|l| !l.starts_with("-----")).collect()
    } else {
        raw.split_whitespace().collect()
    };
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
        .filter(|d| !d.is_empty())
}

/// What a presented certificate (DER) is to this CA.
pub(crate) enum Presented {
    /// Not an X.509 certificate.
    Malformed,
    /// Well formed, but not one this CA recorded (no such serial, or other bytes).
    Unknown,
    /// This CA's record of it, and its public key (`SubjectPublicKeyInfo`, DER).
    Issued {
        record: Box<store::ca::Certificate>,
        spki: Vec<u8>,
    },
}

/// Matches a presented certificate with this CA's record: same serial, same bytes.
pub(crate) async fn presented(
    conn: &mut store::AnyConnection,
    der: &[u8],
) -> Result<Presented, Error> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let parsed = match X509Certificate::from_der(der) {
        Ok(([], c)) => c,
        _ => return Ok(Presented::Malformed),
    };
    let Ok(serial) = pki::Serial::from_der_content(parsed.tbs_certificate.raw_serial()) else {
        return Ok(Presented::Malformed);
    };
    Ok(
        match store::ca::by_serial(conn, &serial.to_hex())
            .await?
            .filter(|c| c.issued.der == der)
        {
            Some(record) => Presented::Issued {
                record: Box::new(record),
                spki: parsed.tbs_certificate.subject_pki.raw.to_vec(),
            },
            None => Presented::Unknown,
        },
    )
}
