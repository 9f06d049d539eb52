//! A certificate's details page and its downloads (PEM, DER, the chain).

use bytes::Bytes;
use domain::application::CertType;
use domain::ids::{ApplicationId, PlatformId};
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{CertificateSummary, Issuers, listed, normalise_serial, platform_views, summary};
use crate::authz::{Action, CertificateOwner, authorize};
use crate::{Actor, App, Error};

/// The order a certificate came from.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrderLink {
    #[schema(value_type = String)]
    pub id: ApplicationId,
    pub order_number: String,
}

/// An active 关联平台 the certificate is not linked to yet (新增平台 offers these).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformChoice {
    #[schema(value_type = String)]
    pub id: PlatformId,
    pub name: String,
}

/// Everything about one certificate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    #[serde(flatten)]
    pub summary: CertificateSummary,
    /// The subject name, most specific first (`CN=…, O=…, C=CN`).
    pub subject: String,
    /// SHA-256 of the certificate (DER), colon-separated upper-case hex.
    pub fingerprint_sha256: String,
    /// `ECDSA P-256`, `RSA 2048`, `SM2`, …
    pub key_algorithm: String,
    /// The order it came from, if any.
    pub order: Option<OrderLink>,
    /// The serial of the certificate it replaced.
    pub replaces: Option<String>,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<Timestamp>,
    /// The CRLReason (`keyCompromise`, `superseded`, …) when revoked.
    pub revocation_reason: Option<String>,
    /// Whether the viewer may link platforms and start applications from it.
    pub can_manage: bool,
    /// What 新增平台 offers (empty unless `can_manage`).
    pub available_platforms: Vec<PlatformChoice>,
    /// An e-seal certificate with its seal image (印章图片) bound: downloadable as `seal`.
    pub seal_image: bool,
}

/// A recorded certificate the actor may see (NotFound otherwise, so another
/// organisation's serials are not confirmed).
pub(crate) async fn visible(
    conn: &mut store::AnyConnection,
    actor: &Actor,
    serial: &str,
) -> Result<store::ca::Certificate, Error> {
    let serial = normalise_serial(serial).ok_or(Error::NotFound)?;
    let c = store::ca::by_serial(conn, &serial)
        .await?
        .ok_or(Error::NotFound)?;
    let owner = CertificateOwner {
        organisation: c.issued.organisation_id,
        holder: c.issued.holder_user_id,
    };
    authorize(actor, Action::ViewCertificate(owner)).map_err(|e| match e {
        Error::Forbidden => Error::NotFound,
        other => other,
    })?;
    Ok(c)
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn key_algorithm(der: &[u8]) -> String {
    let spki = x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| c.tbs_certificate.subject_pki.raw.to_vec());
    match spki.and_then(|s| pki::PublicKey::from_spki_der(&s).ok()) {
        Some(k) => match k.kind() {
            pki::KeyKind::Rsa { bits } => format!("RSA {bits}"),
            pki::KeyKind::EcP256 => "ECDSA P-256".into(),
            pki::KeyKind::EcP384 => "ECDSA P-384".into(),
            pki::KeyKind::Sm2 => "SM2".into(),
        },
        None => "?".into(),
    }
}

/// The details of the certificate with this serial (hex, any case, colons allowed).
pub async fn view(app: &App, actor: &Actor, serial: &str) -> Result<CertificateView, Error> {
    let mut conn = app.store.conn().await?;
    let c = visible(&mut conn, actor, serial).await?;
    let der = c.issued.der.clone();
    let seal_image = c.issued.cert_type == CertType::Seal
        && store::documents::seal_image_of(&mut conn, c.issued.id)
            .await?
            .is_some();
    let row = listed(c);
    let owner = super::owner_of(&row);
    let can_manage = authorize(actor, Action::ManageCertificate(owner)).is_ok();
    let now = app.now();
    let links = store::certificates::platforms_of(&mut conn, &[row.id]).await?;
    let platforms = platform_views(&links, row.id);
    let available_platforms = if can_manage {
        store::config::linked_platforms(&mut conn)
            .await?
            .into_iter()
            .filter(|p| p.active && !platforms.iter().any(|l| l.id == p.id))
            .map(|p| PlatformChoice {
                id: p.id,
                name: p.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let order = match row.application_id {
        Some(id) => store::applications::get(&mut conn, id)
            .await?
            .map(|a| OrderLink {
                id,
                order_number: a.order_number.to_string(),
            }),
        None => None,
    };
    let replaces = match row.replaces {
        Some(id) => store::certificates::serial_of(&mut conn, id).await?,
        None => None,
    };
    let issuer = Issuers::default().name(&mut conn, row.issuer_id).await?;
    let subject = row.subject.clone();
    let revoked_at = row.revoked_at;
    let revocation_reason = row.revocation_reason.clone();
    Ok(CertificateView {
        summary: summary(row, issuer, platforms, now, &|_| can_manage),
        subject,
        fingerprint_sha256: fingerprint(&der),
        key_algorithm: key_algorithm(&der),
        order,
        replaces,
        revoked_at,
        revocation_reason,
        can_manage,
        available_platforms,
        seal_image,
    })
}

/// The forms a certificate downloads in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadFormat {
    /// `<serial>.pem`
    Pem,
    /// `<serial>.cer`: DER.
    Der,
    /// `<serial>-chain.pem`: the certificate, then the issuing CA, then the root.
    Chain,
    /// The seal image (印章图片) bound to an e-seal certificate: the one uploaded with the
    /// order that produced it, or with the order it renewed (年检, 延期).
    Seal,
}

impl DownloadFormat {
    pub fn parse(s: &str) -> Option<DownloadFormat> {
        match s {
            "pem" => Some(DownloadFormat::Pem),
            "cer" | "der" => Some(DownloadFormat::Der),
            "chain" => Some(DownloadFormat::Chain),
            "seal" => Some(DownloadFormat::Seal),
            _ => None,
        }
    }
}

/// A file to send.
#[derive(Clone, Debug)]
pub struct Download {
    pub file_name: String,
    pub content_type: &'static str,
    pub content: Bytes,
}

/// The certificate as a file, for whoever may see its details.
pub async fn download(
    app: &App,
    actor: &Actor,
    serial: &str,
    format: DownloadFormat,
) -> Result<Download, Error> {
    let mut conn = app.store.conn().await?;
    let c = visible(&mut conn, actor, serial).await?;
    let seal = if format == DownloadFormat::Seal {
        if c.issued.cert_type != CertType::Seal {
            return Err(Error::Refused("certificate.not_a_seal"));
        }
        Some(
            store::documents::seal_image_of(&mut conn, c.issued.id)
                .await?
                .ok_or(Error::Refused("certificate.no_seal_image"))?,
        )
    } else {
        None
    };
    drop(conn);
    let serial = c.issued.serial;
    let der = c.issued.der;
    Ok(match format {
        DownloadFormat::Pem => Download {
            file_name: format!("{serial}.pem"),
            content_type: "application/x-pem-file",
            content: Bytes::from(pki::certificate_pem(&der)),
        },
        DownloadFormat::Der => Download {
            file_name: format!("{serial}.cer"),
            content_type: "application/pkix-cert",
            content: Bytes::from(der),
        },
        DownloadFormat::Chain => {
            let ca = app.require_ca()?;
            if ca.issuing_id != c.issued.issuer_id {
                return Err(Error::Refused("certificate.chain_unavailable"));
            }
            let mut pem = pki::certificate_pem(&der);
            if !pem.ends_with('\n') {
                pem.push('\n');
            }
            pem.push_str(ca.chain_pem());
            Download {
                file_name: format!("{serial}-chain.pem"),
                content_type: "application/pem-certificate-chain",
                content: Bytes::from(pem),
            }
        }
        DownloadFormat::Seal => {
            let doc = seal.ok_or_else(|| Error::Internal("seal image not loaded".into()))?;
            let key =
                blobs::BlobKey::parse(&doc.blob_key).map_err(|e| Error::Internal(e.to_string()))?;
            let content = app
                .blobs
                .get(&key)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            let extension = doc.file_name.rsplit_once('.').map_or("png", |(_, e)| e);
            Download {
                file_name: format!("{serial}-seal.{extension}"),
                content_type: doc.file_type.as_str(),
                content: Bytes::from(content),
            }
        }
    })
}
