//! 纳税人识别号.

use std::fmt;

use super::{IdNumber, Uscc};
use crate::Reason;

/// A 纳税人识别号: 15, 17, 18 or 20 letters and digits, stored upper case.
///
/// An 18-character one is either a 统一社会信用代码 or a 公民身份号码 and must pass that
/// code's check; the older 15-, 17- and 20-character forms have no check we can apply.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TaxId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("the taxpayer identification number is empty")]
    Empty,
    #[error("a taxpayer identification number has 15, 17, 18 or 20 characters")]
    Length,
    #[error("a taxpayer identification number has only letters and digits")]
    InvalidChar,
    #[error(
        "the 18-character taxpayer identification number is neither a valid unified social credit code nor a valid ID number"
    )]
    CheckDigit,
}

impl Reason for TaxIdError {
    fn key(&self) -> &'static str {
        match self {
            TaxIdError::Empty => "tax_id.empty",
            TaxIdError::Length => "tax_id.length",
            TaxIdError::InvalidChar => "tax_id.invalid_char",
            TaxIdError::CheckDigit => "tax_id.check_digit",
        }
    }
}

impl TaxId {
    /// Parse a number as typed: surrounding whitespace is ignored, letters are upper-cased.
    /// Spaces, hyphens or anything else inside are refused rather than dropped.
    pub fn parse(input: &str) -> Result<TaxId, TaxIdError> {
        let text = input.trim().to_ascii_uppercase();
        if text.is_empty() {
            return Err(TaxIdError::Empty);
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TaxIdError::InvalidChar);
        }
        match text.len() {
            15 | 17 | 20 => Ok(TaxId(text)),
            18 if Uscc::parse(&text).is_ok() || IdNumber::parse(&text).is_ok() => Ok(TaxId(text)),
            18 => Err(TaxIdError::CheckDigit),
            _ => Err(TaxIdError::Length),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::serde_as_parsed_str!(TaxId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(input: &str) -> Result<String, TaxIdError> {
        TaxId::parse(input).map(TaxId::into_string)
    }

    #[test]
    fn accepts_a_uscc_or_an_id_number() {
        assert_eq!(
            parsed("91350100m000100y43"),
            Ok("91350100M000100Y43".to_owned())
        );
        assert_eq!(
            parsed(" 11010519491231002x "),
            Ok("11010519491231002X".to_owned())
        );
    }

    #[test]
    fn accepts_the_older_lengths_unchecked() {
        assert_eq!(parsed("110105123456789"), Ok("110105123456789".to_owned()));
        assert_eq!(
            parsed("11010512345678901"),
            Ok("11010512345678901".to_owned())
        );
        assert_eq!(parsed("110105ab3456789012"), Err(TaxIdError::CheckDigit));
        assert_eq!(
            parsed("110105ab345678901234"),
            Ok("110105AB345678901234".to_owned())
        );
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(parsed(""), Err(TaxIdError::Empty));
        assert_eq!(parsed("\u{3000} "), Err(TaxIdError::Empty));
        assert_eq!(parsed("1101051234567"), Err(TaxIdError::Length));
        assert_eq!(parsed("1101051234567890"), Err(TaxIdError::Length));
        assert_eq!(parsed("1101051234567890123"), Err(TaxIdError::Length));
        assert_eq!(parsed("110105123456789012345"), Err(TaxIdError::Length));
        assert_eq!(parsed("110105-123456789"), Err(TaxIdError::InvalidChar));
        assert_eq!(parsed("110105 123456789"), Err(TaxIdError::InvalidChar));
        assert_eq!(parsed("１10105123456789"), Err(TaxIdError::InvalidChar));
        assert_eq!(parsed("91350100M000100Y44"), Err(TaxIdError::CheckDigit));
        assert_eq!(parsed("110105194912310021"), Err(TaxIdError::CheckDigit));
    }

    proptest! {
        #[test]
        fn accepted_values_are_upper_case_alphanumeric_of_an_allowed_length(input in "[0-9A-Za-z]{14,21}") {
            if let Ok(id) = TaxId::parse(&input) {
                prop_assert!([15, 17, 18, 20].contains(&id.as_str().len()));
                prop_assert_eq!(id.as_str(), input.to_ascii_uppercase());
            }
        }

        #[test]
        fn never_panics(input in "\\PC{0,24}") {
            let _ = TaxId::parse(&input);
        }
    }
}
