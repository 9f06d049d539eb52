//! Identifiers that people type into forms: each one can only exist valid.
//!
//! Every type here is built by `parse`, keeps its text in a private field and
//! serialises as that text; deserialising goes through `parse` again, so a value
//! read back from JSON or a database column is checked like one typed by a user.

/// Serialise an identifier as its text and deserialise it through `parse`.
macro_rules! serde_as_parsed_str {
    ($ty:ident) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $ty::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_as_parsed_str;

mod email;
mod id_number;
mod phone;
mod tax_id;
mod uscc;

pub use email::{Email, EmailError};
pub use id_number::{IdNumber, IdNumberError};
pub use phone::{Phone, PhoneError};
pub use tax_id::{TaxId, TaxIdError};
pub use uscc::{Uscc, UsccError};

/// Every key a domain error can return has a message in both UI catalogues, and the
/// catalogues hold nothing else. Here rather than in `lib.rs` only because this module
/// owns most of the keys; it covers [`crate::money::MoneyError`] too.
#[cfg(test)]
mod catalogue_tests {
    use super::*;
    use crate::Reason;
    use crate::money::MoneyError;

    const CATALOGUES: [(&str, &str); 2] = [
        (
            "zh-CN",
            include_str!("../../../web/locales/zh-CN/domain.toml"),
        ),
        ("en", include_str!("../../../web/locales/en/domain.toml")),
    ];

    fn all_keys() -> Vec<&'static str> {
        let mut keys = Vec::new();
        keys.extend(
            [
                UsccError::Empty,
                UsccError::Length,
                UsccError::InvalidChar,
                UsccError::AreaCode,
                UsccError::CheckDigit,
            ]
            .iter()
            .map(Reason::key),
        );
        keys.extend(
            [
                IdNumberError::Empty,
                IdNumberError::Length,
                IdNumberError::InvalidChar,
                IdNumberError::BirthDate,
                IdNumberError::CheckDigit,
            ]
            .iter()
            .map(Reason::key),
        );
        keys.extend(
            [
                TaxIdError::Empty,
                TaxIdError::Length,
                TaxIdError::InvalidChar,
                TaxIdError::CheckDigit,
            ]
            .iter()
            .map(Reason::key),
        );
        keys.extend(
            [
                PhoneError::Empty,
                PhoneError::Length,
                PhoneError::InvalidChar,
                PhoneError::Prefix,
            ]
            .iter()
            .map(Reason::key),
        );
        keys.extend(
            [
                EmailError::Empty,
                EmailError::TooLong,
                EmailError::MissingAt,
                EmailError::MultipleAt,
                EmailError::LocalPart,
                EmailError::Domain,
            ]
            .iter()
            .map(Reason::key),
        );
        keys.extend(
            [
                MoneyError::Empty,
                MoneyError::Sign,
                MoneyError::InvalidChar,
                MoneyError::Format,
                MoneyError::Decimals,
                MoneyError::TooLarge,
            ]
            .iter()
            .map(Reason::key),
        );
        keys
    }

    /// The keys of a flat catalogue: lines `"key" = "message"`.
    fn catalogue_keys(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|line| line.strip_prefix('"')?.split_once("\" = \""))
            .map(|(key, _)| key)
            .collect()
    }

    #[test]
    fn keys_are_unique_and_namespaced() {
        let mut keys = all_keys();
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count);
        assert!(keys.iter().all(|k| k.contains('.')));
    }

    #[test]
    fn every_key_has_a_message_in_every_catalogue() {
        let mut expected = all_keys();
        expected.sort_unstable();
        for (lang, text) in CATALOGUES {
            let mut found = catalogue_keys(text);
            found.sort_unstable();
            assert_eq!(found, expected, "locales/{lang}/domain.toml");
        }
    }
}
