//! The certificate profiles (`pki::Profile`), for admins to read: what each certificate
//! type's subject holds, its usages and policies, and the URLs the loaded CA writes in.

use domain::application::CertType;
use serde::Serialize;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// One subject attribute and where its value comes from.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubjectFieldView {
    /// `C`, `O`, `organizationIdentifier`, `CN`, …
    pub attribute: String,
    /// `china`, `organisation_name`, `uscc`, `person_name`, `seal_name`, `id_number`.
    pub from: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    /// e.g. 单位主锁
    pub name: String,
    #[schema(value_type = String)]
    pub cert_type: CertType,
    pub subject: Vec<SubjectFieldView>,
    /// keyUsage names (always critical): `digitalSignature`, `nonRepudiation`, …
    pub key_usage: Vec<String>,
    /// extKeyUsage names: `clientAuth`, `documentSigning`, …
    pub extended_key_usage: Vec<String>,
    /// certificatePolicies, dotted OIDs.
    pub policies: Vec<String>,
    /// Whether a raw 公民身份号码 may appear in the subject.
    pub raw_id_number: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProfilesView {
    pub profiles: Vec<ProfileView>,
    /// authorityInfoAccess OCSP URL of the loaded CA (none before `ca init`).
    pub ocsp_url: Option<String>,
    /// authorityInfoAccess caIssuers URL.
    pub ca_issuers_url: Option<String>,
    /// cRLDistributionPoints URL.
    pub crl_url: Option<String>,
}

/// The name a value serialises to (`KeyUsage::DigitalSignature` is `digitalSignature`).
fn name_of(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Every shipped profile, in certificate-type order.
pub async fn profiles(app: &App, actor: &Actor) -> Result<ProfilesView, Error> {
    authorize(actor, Action::ViewCaProfiles)?;
    let profiles = pki::Profile::all()
        .into_iter()
        .map(|p| ProfileView {
            subject: p
                .subject
                .iter()
                .map(|f| SubjectFieldView {
                    attribute: name_of(&f.attribute),
                    from: name_of(&f.from),
                })
                .collect(),
            key_usage: p.key_usage.iter().map(name_of).collect(),
            extended_key_usage: p.extended_key_usage.iter().map(name_of).collect(),
            name: p.name,
            cert_type: p.cert_type,
            policies: p.policies,
            raw_id_number: p.raw_id_number,
        })
        .collect();
    let urls = app.ca().map(|ca| ca.urls.clone());
    Ok(ProfilesView {
        profiles,
        ocsp_url: urls.as_ref().map(|u| u.ocsp.clone()),
        ca_issuers_url: urls.as_ref().map(|u| u.ca_issuers.clone()),
        crl_url: urls.map(|u| u.crl),
    })
}
