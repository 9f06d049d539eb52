//! Mainland China mobile numbers.

use std::fmt;

use crate::Reason;

const LEN: usize = 11;

/// A mainland China mobile number: 11 digits, `1[3-9]` then 9 more.
///
/// Only surrounding whitespace is ignored. A country code, spaces or hyphens inside are
/// refused rather than removed, so what is stored is what the user typed.
/// `Debug` shows the masked form so a stray `{:?}` in a log does not leak the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the mobile number is empty")]
    Empty,
    #[error("a mobile number has 11 digits, without the country code")]
    Length,
    #[error("a mobile number has only digits, without spaces, hyphens or +86")]
    InvalidChar,
    #[error("a mainland China mobile number starts with 13 to 19")]
    Prefix,
}

impl Reason for PhoneError {
    fn key(&self) -> &'static str {
        match self {
            PhoneError::Empty => "phone.empty",
            PhoneError::Length => "phone.length",
            PhoneError::InvalidChar => "phone.invalid_char",
            PhoneError::Prefix => "phone.prefix",
        }
    }
}

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::InvalidChar);
        }
        if text.len() != LEN {
            return Err(PhoneError::Length);
        }
        match text.as_bytes() {
            [b'1', b'3'..=b'9', ..] => Ok(Phone(text.to_owned())),
            _ => Err(PhoneError::Prefix),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The first 3 and last 4 digits with the 4 between them as `*`: `138****0001`.
    pub fn masked(&self) -> String {
        // The text is 11 ASCII digits, so these byte ranges are character ranges.
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

super::serde_as_parsed_str!(Phone);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(input: &str) -> Result<String, PhoneError> {
        Phone::parse(input).map(Phone::into_string)
    }

    #[test]
    fn accepts_a_mobile_number_and_trims() {
        assert_eq!(parsed("13800010001"), Ok("13800010001".to_owned()));
        assert_eq!(parsed(" 19912345678\t"), Ok("19912345678".to_owned()));
    }

    #[test]
    fn changes_nothing_the_user_typed() {
        assert_eq!(parsed("+8613800010001"), Err(PhoneError::InvalidChar));
        assert_eq!(parsed("8613800010001"), Err(PhoneError::Length));
        assert_eq!(parsed("138 0001 0001"), Err(PhoneError::InvalidChar));
        assert_eq!(parsed("138-0001-0001"), Err(PhoneError::InvalidChar));
        assert_eq!(parsed("１3800010001"), Err(PhoneError::InvalidChar));
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(parsed(""), Err(PhoneError::Empty));
        assert_eq!(parsed("  "), Err(PhoneError::Empty));
        assert_eq!(parsed("1380001000"), Err(PhoneError::Length));
        assert_eq!(parsed("138000100011"), Err(PhoneError::Length));
        assert_eq!(parsed("12800010001"), Err(PhoneError::Prefix));
        assert_eq!(parsed("23800010001"), Err(PhoneError::Prefix));
        assert_eq!(parsed("01012345678"), Err(PhoneError::Prefix));
    }

    #[test]
    fn masks_in_debug_and_masked_but_not_display() {
        let Ok(phone) = Phone::parse("13800010001") else {
            panic!("13800010001 should parse");
        };
        assert_eq!(phone.masked(), "138****0001");
        assert_eq!(format!("{phone:?}"), "Phone(\"138****0001\")");
        assert_eq!(phone.to_string(), "13800010001");
    }

    proptest! {
        #[test]
        fn every_mobile_number_parses(number in "1[3-9][0-9]{9}") {
            let phone = Phone::parse(&number);
            prop_assert_eq!(phone.as_ref().map(Phone::as_str), Ok(number.as_str()));
            if let Ok(phone) = phone {
                let masked = format!("{}****{}", &number[..3], &number[7..]);
                prop_assert_eq!(format!("{phone:?}"), format!("Phone({masked:?})"));
                prop_assert_eq!(phone.masked(), masked);
            }
        }

        #[test]
        fn accepted_numbers_match_the_pattern(input in "\\PC{0,14}") {
            if let Ok(phone) = Phone::parse(&input) {
                let bytes = phone.as_str().as_bytes();
                prop_assert_eq!(bytes.len(), 11);
                prop_assert!(bytes.iter().all(u8::is_ascii_digit));
                prop_assert!(bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]));
            }
        }
    }
}
