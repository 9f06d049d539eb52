//! 读取 (seed 003): what the plugged-in USB key holds, sent by `certdesk token read --order`,
//! fills in the certificate an order is about (信息变更, 延期, 年检, 补办, 注销). The
//! certificate must be one this CA issued to the order's owner, of the order's type, and
//! not revoked; the form is saved as a draft with it, and what the key says comes back so
//! the applicant sees 锁中现有的信息 beside the new data they type.

use domain::application::Kind;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::ca::CertificateStatus;

use super::{ApplicationInput, load, owner};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// What the tool read from the key.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct KeyReadoutInput {
    /// The holder's certificate on the key: PEM, or base64 DER.
    pub certificate: String,
    /// 锁序列号.
    pub token_serial: String,
}

/// 锁中现有的信息, as the CA recorded it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KeyReadout {
    pub serial: String,
    pub token_serial: String,
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    pub subject: String,
    #[schema(value_type = String)]
    pub not_after: Timestamp,
}

/// Fills in the order's certificate from the key's, as a saved draft.
pub async fn read_key(
    app: &App,
    actor: &Actor,
    id: domain::ids::ApplicationId,
    input: &KeyReadoutInput,
) -> Result<KeyReadout, Error> {
    let mut conn = app.store.conn().await?;
    let record = load(&mut conn, id).await?;
    let owner = owner(&record);
    authorize(actor, Action::EditApplication(owner))?;
    if matches!(record.kind, Kind::New) {
        return Err(Error::Refused("readout.kind_without_certificate"));
    }
    let der = crate::certificates::presented_der(&input.certificate)
        .ok_or_else(|| Error::field("certificate", "readout.certificate_malformed"))?;
    let cert = match crate::certificates::presented(&mut conn, &der).await? {
        crate::certificates::Presented::Malformed => {
            return Err(Error::field("certificate", "readout.certificate_malformed"));
        }
        crate::certificates::Presented::Unknown => {
            return Err(Error::Refused("readout.certificate_unknown"));
        }
        crate::certificates::Presented::Issued { record, .. } => *record,
    };
    let serial = cert.issued.serial.clone();
    let theirs = match owner.organisation {
        Some(org) => cert.issued.organisation_id == Some(org),
        None => cert.issued.holder_user_id == Some(owner.applicant),
    };
    if !theirs {
        return Err(Error::Refused("readout.not_the_owners"));
    }
    if cert.issued.cert_type != record.cert_type {
        return Err(Error::Refused("readout.wrong_type"));
    }
    if cert.status == CertificateStatus::Revoked {
        return Err(Error::Refused("readout.revoked"));
    }
    drop(conn);
    let mut form: ApplicationInput = serde_json::from_str(&record.form).unwrap_or_default();
    form.certificate_serial = serial.clone();
    super::save(app, actor, id, &form, Some(record.version)).await?;
    tracing::info!(application = %id, serial = %serial, "certificate read from the key");
    Ok(KeyReadout {
        serial,
        token_serial: input.token_serial.trim().to_owned(),
        holder_name: cert.issued.holder_name,
        organisation_name: cert.issued.organisation_name,
        credit_code: cert.issued.credit_code,
        subject: cert.issued.subject,
        not_after: cert.issued.not_after,
    })
}
