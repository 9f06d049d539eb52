//! Distinguished names.

use serde::Serialize;

use crate::asn1::{self, PRINTABLE_STRING, SET};
use crate::oid;

/// The attributes a name may carry here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Attribute {
    /// countryName (C), 2.5.4.6: two letters, PrintableString.
    #[serde(rename = "C")]
    Country,
    /// organizationName (O), 2.5.4.10.
    #[serde(rename = "O")]
    Organisation,
    /// organizationalUnitName (OU), 2.5.4.11.
    #[serde(rename = "OU")]
    OrganisationalUnit,
    /// organizationIdentifier, 2.5.4.97 (ETSI EN 319 412-1 §5.1.4).
    #[serde(rename = "organizationIdentifier")]
    OrganisationIdentifier,
    /// serialNumber, 2.5.4.5: PrintableString.
    #[serde(rename = "serialNumber")]
    SerialNumber,
    /// commonName (CN), 2.5.4.3.
    #[serde(rename = "CN")]
    CommonName,
}

impl Attribute {
    fn oid(self) -> &'static [u8] {
        match self {
            Attribute::Country => oid::COUNTRY,
            Attribute::Organisation => oid::ORGANIZATION,
            Attribute::OrganisationalUnit => oid::ORGANIZATIONAL_UNIT,
            Attribute::OrganisationIdentifier => oid::ORGANIZATION_IDENTIFIER,
            Attribute::SerialNumber => oid::SERIAL_NUMBER,
            Attribute::CommonName => oid::COMMON_NAME,
        }
    }

    /// The X.520 upper bound, in characters.
    fn max_chars(self) -> usize {
        match self {
            Attribute::Country => 2,
            Attribute::SerialNumber | Attribute::CommonName | Attribute::Organisation => 64,
            Attribute::OrganisationalUnit => 64,
            Attribute::OrganisationIdentifier => 64,
        }
    }

    fn printable(self) -> bool {
        matches!(self, Attribute::Country | Attribute::SerialNumber)
    }
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0:?} is empty")]
    Empty(Attribute),
    #[error("{0:?} is longer than {1} characters")]
    TooLong(Attribute, usize),
    #[error("{0:?} has a control character or surrounding spaces")]
    BadCharacter(Attribute),
    #[error("{0:?} takes letters, digits and ' ()+,-./:=? only")]
    NotPrintable(Attribute),
    #[error("a name needs at least one attribute")]
    NoAttributes,
}

/// A distinguished name, one attribute per RDN, in the order given (C first by convention).
/// C and serialNumber are PrintableString, everything else UTF8String (Chinese text).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DistinguishedName {
    attributes: Vec<(Attribute, String)>,
}

impl DistinguishedName {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute; checked when the name is encoded.
    pub fn with(mut self, attribute: Attribute, value: impl Into<String>) -> Self {
        self.attributes.push((attribute, value.into()));
        self
    }

    pub fn country(self, v: impl Into<String>) -> Self {
        self.with(Attribute::Country, v)
    }

    pub fn organisation(self, v: impl Into<String>) -> Self {
        self.with(Attribute::Organisation, v)
    }

    pub fn common_name(self, v: impl Into<String>) -> Self {
        self.with(Attribute::CommonName, v)
    }

    pub fn attributes(&self) -> &[(Attribute, String)] {
        &self.attributes
    }

    /// The DER `Name`.
    pub fn to_der(&self) -> Result<Vec<u8>, NameError> {
        if self.attributes.is_empty() {
            return Err(NameError::NoAttributes);
        }
        let mut rdns = Vec::new();
        for (attr, value) in &self.attributes {
            check(*attr, value)?;
            let v = if attr.printable() {
                asn1::tlv(PRINTABLE_STRING, &[value.as_bytes()])
            } else {
                asn1::utf8(value)
            };
            let atv = asn1::seq(&[attr.oid(), &v]);
            rdns.extend_from_slice(&asn1::tlv(SET, &[&atv]));
        }
        Ok(asn1::seq(&[&rdns]))
    }
}

fn check(attr: Attribute, value: &str) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::Empty(attr));
    }
    if value.chars().count() > attr.max_chars() {
        return Err(NameError::TooLong(attr, attr.max_chars()));
    }
    if value.chars().any(char::is_control) || value.trim() != value {
        return Err(NameError::BadCharacter(attr));
    }
    if attr.printable()
        && !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c))
    {
        return Err(NameError::NotPrintable(attr));
    }
    if attr == Attribute::Country && !value.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(NameError::NotPrintable(attr));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_chinese_as_utf8_and_country_as_printable() {
        let der = DistinguishedName::new()
            .country("CN")
            .common_name("张三")
            .to_der()
            .unwrap();
        assert_eq!(&der[..4], &[0x30, 0x1e, 0x31, 0x0b]);
        assert!(der.windows(2).any(|w| w == [0x13, 0x02]));
        assert!(der.windows(2).any(|w| w == [0x0c, 0x06]));
    }

    #[test]
    fn refuses_bad_values() {
        let e = |n: DistinguishedName| n.to_der().unwrap_err();
        assert_eq!(e(DistinguishedName::new()), NameError::NoAttributes);
        assert!(matches!(
            e(DistinguishedName::new().country("China")),
            NameError::TooLong(..)
        ));
        assert!(matches!(
            e(DistinguishedName::new().common_name("")),
            NameError::Empty(_)
        ));
        assert!(matches!(
            e(DistinguishedName::new().common_name("a\nb")),
            NameError::BadCharacter(_)
        ));
        assert!(matches!(
            e(DistinguishedName::new().common_name("x".repeat(65))),
            NameError::TooLong(..)
        ));
        assert!(
            DistinguishedName::new()
                .common_name("字".repeat(64))
                .to_der()
                .is_ok()
        );
    }
}
