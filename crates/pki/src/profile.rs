//! Certificate profiles: one per certificate type, deciding subject, usages and policy.
//!
//! Policy OIDs sit under `1.3.6.1.4.1.99999`, a **placeholder** private enterprise arc
//! (not assigned to certdesk): a CA going into production must register its own PEN with
//! IANA and replace [`POLICY_ARC`].

use domain::application::CertType;
use serde::Serialize;

use crate::cert::{ExtKeyUsage, KeyUsage};
use crate::name::Attribute;

/// Placeholder private enterprise arc for certdesk's certificate policies.
pub const POLICY_ARC: &str = "1.3.6.1.4.1.99999.1";

/// Where a subject attribute's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The fixed value `CN` (countryName).
    China,
    /// The organisation's verified name (营业执照上的名称).
    OrganisationName,
    /// The organisation's 统一社会信用代码, as `NTRCN-<USCC>` (ETSI EN 319 412-1 §5.1.4:
    /// "NTR" national trade register, then the ISO 3166 country code, then the number).
    Uscc,
    /// The person's verified name.
    PersonName,
    /// The e-seal's name (印章名称).
    SealName,
    /// The person's 公民身份号码, verbatim. Only used when the profile allows raw ID numbers.
    IdNumber,
}

/// One subject attribute: which attribute, and where its value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SubjectField {
    pub attribute: Attribute,
    pub from: Source,
}

/// A certificate profile, serialisable so admins can view it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Human name, e.g. `单位主锁`.
    pub name: String,
    pub cert_type: CertType,
    /// Subject attributes, in order.
    pub subject: Vec<SubjectField>,
    /// keyUsage, always critical.
    pub key_usage: Vec<KeyUsage>,
    pub extended_key_usage: Vec<ExtKeyUsage>,
    /// certificatePolicies, dotted OIDs.
    pub policies: Vec<String>,
    /// Whether a raw 公民身份号码 may appear in the subject (serialNumber). Never, by default:
    /// a certificate is public and an ID number is personal data.
    pub raw_id_number: bool,
}

fn field(attribute: Attribute, from: Source) -> SubjectField {
    SubjectField { attribute, from }
}

impl Profile {
    /// The shipped profile for a certificate type.
    ///
    /// All four are signing certificates: digitalSignature + nonRepudiation (critical).
    /// EKUs: clientAuth (logging in to the trading platforms with the USB key) and
    /// documentSigning (RFC 9336: bids, contracts); the e-seal only signs documents.
    /// emailProtection is left out: no certificate carries an e-mail address.
    pub fn for_cert_type(cert_type: CertType) -> Profile {
        use Attribute::*;
        let org = [
            field(Country, Source::China),
            field(Organisation, Source::OrganisationName),
            field(OrganisationIdentifier, Source::Uscc),
        ];
        let (name, subject, eku, n) = match cert_type {
            CertType::OrgMaster => (
                "单位主锁",
                [&org[..], &[field(CommonName, Source::OrganisationName)]].concat(),
                vec![ExtKeyUsage::ClientAuth, ExtKeyUsage::DocumentSigning],
                1,
            ),
            CertType::OrgStaff => (
                "机构个人证书",
                [&org[..], &[field(CommonName, Source::PersonName)]].concat(),
                vec![ExtKeyUsage::ClientAuth, ExtKeyUsage::DocumentSigning],
                2,
            ),
            CertType::Personal => (
                "个人证书",
                vec![
                    field(Country, Source::China),
                    field(CommonName, Source::PersonName),
                ],
                vec![ExtKeyUsage::ClientAuth, ExtKeyUsage::DocumentSigning],
                3,
            ),
            CertType::Seal => (
                "电子签章",
                [&org[..], &[field(CommonName, Source::SealName)]].concat(),
                vec![ExtKeyUsage::DocumentSigning],
                4,
            ),
        };
        Profile {
            name: name.to_string(),
            cert_type,
            subject,
            key_usage: vec![KeyUsage::DigitalSignature, KeyUsage::NonRepudiation],
            extended_key_usage: eku,
            policies: vec![format!("{POLICY_ARC}.{n}")],
            raw_id_number: false,
        }
    }

    /// Every shipped profile, in [`CertType::ALL`] order.
    pub fn all() -> Vec<Profile> {
        CertType::ALL
            .iter()
            .map(|t| Profile::for_cert_type(*t))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_serialise_for_admins() {
        let json = serde_json::to_value(Profile::for_cert_type(CertType::OrgStaff)).unwrap();
        assert_eq!(json["name"], "机构个人证书");
        assert_eq!(json["cert_type"], "org_staff");
        assert_eq!(json["subject"][2]["attribute"], "organizationIdentifier");
        assert_eq!(json["subject"][3]["from"], "person_name");
        assert_eq!(json["key_usage"][1], "nonRepudiation");
        assert_eq!(json["policies"][0], "1.3.6.1.4.1.99999.1.2");
        assert_eq!(json["raw_id_number"], false);
    }

    #[test]
    fn every_type_has_its_own_policy() {
        let all = Profile::all();
        assert_eq!(all.len(), CertType::ALL.len());
        let mut policies: Vec<_> = all.iter().map(|p| p.policies[0].clone()).collect();
        policies.dedup();
        assert_eq!(policies.len(), all.len());
        assert!(all.iter().all(|p| !p.raw_id_number));
    }
}
