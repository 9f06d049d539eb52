//! 公民身份号码 (GB 11643-1999).

use std::fmt;

use jiff::civil::Date;

use crate::Reason;

/// ISO 7064 MOD 11-2 weights of the first 17 digits: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character indexed by the weighted sum mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

const LEN: usize = 18;

/// The earliest birth date accepted; nobody alive holds a number born earlier.
const EARLIEST_BIRTH: Date = Date::constant(1900, 1, 1);

/// A 公民身份号码 with a real birth date and a correct check character.
///
/// `Debug` shows the masked form, so an accidental `{:?}` in a log never leaks the
/// number; `Display` and [`IdNumber::as_str`] give the full number for where it is needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    text: String,
    birth_date: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("the ID number is empty")]
    Empty,
    #[error("an ID number has 18 characters")]
    Length,
    #[error("an ID number has 17 digits followed by a digit or X")]
    InvalidChar,
    #[error("the birth date in the ID number (characters 7 to 14) is not a real date")]
    BirthDate,
    #[error("the check character of the ID number is wrong")]
    CheckDigit,
}

impl Reason for IdNumberError {
    fn key(&self) -> &'static str {
        match self {
            IdNumberError::Empty => "id_number.empty",
            IdNumberError::Length => "id_number.length",
            IdNumberError::InvalidChar => "id_number.invalid_char",
            IdNumberError::BirthDate => "id_number.birth_date",
            IdNumberError::CheckDigit => "id_number.check_digit",
        }
    }
}

/// Check character for 17 digit values.
fn check_of(digits: &[u32]) -> char {
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    // `sum % 11` is in 0..=10, so the index is always in range.
    char::from(CHECK[(sum % 11) as usize])
}

/// The number made of `digits` (each 0..=9), for the date fields.
fn number(digits: &[u32]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + d)
}

/// The birth date in characters 7 to 14 (YYYYMMDD), if it is a real date from 1900 on.
fn birth_date(digits: &[u32]) -> Option<Date> {
    let year = i16::try_from(number(&digits[6..10])).ok()?;
    let month = i8::try_from(number(&digits[10..12])).ok()?;
    let day = i8::try_from(number(&digits[12..14])).ok()?;
    Date::new(year, month, day)
        .ok()
        .filter(|d| *d >= EARLIEST_BIRTH)
}

impl IdNumber {
    /// Parse a number as typed: surrounding whitespace is ignored, a final `x` is read as `X`.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let text = input.trim().to_ascii_uppercase();
        if text.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if !text.chars().all(|c| c.is_ascii_digit() || c == 'X') {
            return Err(IdNumberError::InvalidChar);
        }
        if text.len() != LEN {
            return Err(IdNumberError::Length);
        }
        // 18 ASCII characters from here on.
        let (body, last) = text.split_at(17);
        let digits: Vec<u32> = body
            .chars()
            .map(|c| c.to_digit(10))
            .collect::<Option<_>>()
            .ok_or(IdNumberError::InvalidChar)?;
        let birth_date = birth_date(&digits).ok_or(IdNumberError::BirthDate)?;
        if !last.chars().eq([check_of(&digits)]) {
            return Err(IdNumberError::CheckDigit);
        }
        Ok(IdNumber { text, birth_date })
    }

    /// The check character that completes 17 digits, or `None` if `first17` is not 17 ASCII digits.
    ///
    /// For building demo data and test numbers; it does not check the birth date.
    pub fn check_char(first17: &str) -> Option<char> {
        let digits: Vec<u32> = first17
            .chars()
            .map(|c| c.to_digit(10))
            .collect::<Option<_>>()?;
        (digits.len() == 17).then(|| check_of(&digits))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The first 3 and last 4 characters with the 11 between them as `*`, still 18 long:
    /// `110***********002X`. For lists and logs.
    pub fn masked(&self) -> String {
        // The text is 18 ASCII characters, so these byte ranges are character ranges.
        format!("{}{}{}", &self.text[..3], "*".repeat(11), &self.text[14..])
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

super::serde_as_parsed_str!(IdNumber);

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use proptest::prelude::*;

    const VALID: &str = "11010519491231002X";

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, weight) in WEIGHTS.iter().enumerate() {
            assert_eq!(*weight, (1u32 << (17 - i)) % 11);
        }
    }

    #[test]
    fn accepts_a_real_world_number() {
        let id = IdNumber::parse(VALID);
        assert_eq!(id.as_ref().map(IdNumber::as_str), Ok(VALID));
        assert_eq!(
            id.map(|id| id.birth_date()),
            Ok(Date::constant(1949, 12, 31))
        );
        assert_eq!(IdNumber::check_char(&VALID[..17]), Some('X'));
    }

    #[test]
    fn every_substitution_in_the_real_world_number_is_caught() {
        let mut tried = 0;
        for pos in 0..LEN {
            for &replacement in b"0123456789X"
                .iter()
                .filter(|&&c| c != VALID.as_bytes()[pos])
            {
                let mut bytes = VALID.as_bytes().to_vec();
                bytes[pos] = replacement;
                let changed = String::from_utf8_lossy(&bytes).into_owned();
                assert!(IdNumber::parse(&changed).is_err(), "{changed}");
                tried += 1;
            }
        }
        assert_eq!(tried, 18 * 10);
    }

    #[test]
    fn reads_lower_case_x_and_trims() {
        let id = IdNumber::parse("  11010519491231002x ");
        assert_eq!(id.map(IdNumber::into_string), Ok(VALID.to_owned()));
    }

    #[test]
    fn masks_in_debug_and_masked_but_not_display() {
        let Ok(id) = IdNumber::parse(VALID) else {
            panic!("{VALID} should parse");
        };
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(id.masked().len(), 18);
        assert_eq!(format!("{id:?}"), "IdNumber(\"110***********002X\")");
        assert!(!format!("{id:?}").contains("19491231"));
        assert_eq!(id.to_string(), VALID);
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(IdNumber::parse(""), Err(IdNumberError::Empty));
        assert_eq!(IdNumber::parse(" \n"), Err(IdNumberError::Empty));
        assert_eq!(
            IdNumber::parse("11010519491231002"),
            Err(IdNumberError::Length)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021X"),
            Err(IdNumberError::Length)
        );
        // The old 15-digit numbers are no longer issued or accepted.
        assert_eq!(
            IdNumber::parse("110105491231002"),
            Err(IdNumberError::Length)
        );
        assert_eq!(
            IdNumber::parse("1101051949123100XX"),
            Err(IdNumberError::InvalidChar)
        );
        assert_eq!(
            IdNumber::parse("110105 19491231002X"),
            Err(IdNumberError::InvalidChar)
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdNumberError::InvalidChar)
        );
        assert_eq!(
            IdNumber::parse("11010519490231002X"),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            IdNumber::parse("11010518991231002X"),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            IdNumber::parse("11010519491300002X"),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckDigit)
        );
    }

    #[test]
    fn leap_days_are_real_dates_only_in_leap_years() {
        let number = |first17: &str| IdNumber::check_char(first17).map(|c| format!("{first17}{c}"));
        let leap = number("11010520000229001");
        let not_leap = number("11010519000229001");
        assert!(leap.is_some_and(|n| IdNumber::parse(&n).is_ok()));
        assert_eq!(
            not_leap.map(|n| IdNumber::parse(&n)),
            Some(Err(IdNumberError::BirthDate))
        );
    }

    #[test]
    fn deserialises_through_parse() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};

        let ok: StrDeserializer<'_, Error> = "11010519491231002x".into_deserializer();
        assert_eq!(
            IdNumber::deserialize(ok).map(IdNumber::into_string),
            Ok(VALID.to_owned())
        );
        let bad: StrDeserializer<'_, Error> = "110105194912310021".into_deserializer();
        assert!(IdNumber::deserialize(bad).is_err());
    }

    fn real_date() -> impl Strategy<Value = Date> {
        // 1900-01-01 plus up to ~199 years.
        (0i32..72_000).prop_map(|days| EARLIEST_BIRTH.saturating_add(days.days()))
    }

    fn valid_number() -> impl Strategy<Value = (String, Date)> {
        ("[0-9]{6}", real_date(), "[0-9]{3}").prop_filter_map("17 digits", |(area, date, seq)| {
            let first17 = format!(
                "{area}{:04}{:02}{:02}{seq}",
                date.year(),
                date.month(),
                date.day()
            );
            IdNumber::check_char(&first17).map(|c| (format!("{first17}{c}"), date))
        })
    }

    proptest! {
        #[test]
        fn every_generated_number_parses((number, date) in valid_number()) {
            let id = IdNumber::parse(&number.to_ascii_lowercase());
            prop_assert_eq!(id.as_ref().map(IdNumber::as_str), Ok(number.as_str()));
            prop_assert_eq!(id.map(|id| id.birth_date()), Ok(date));
        }

        #[test]
        fn every_single_substitution_is_caught(
            (number, _date) in valid_number(),
            pos in 0usize..LEN,
            replacement in prop::sample::select(b"0123456789X".to_vec()),
        ) {
            let mut bytes = number.into_bytes();
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(IdNumber::parse(&changed).is_err());
        }

        #[test]
        fn debug_never_shows_the_middle((number, _date) in valid_number()) {
            let id = IdNumber::parse(&number);
            prop_assert!(id.is_ok());
            if let Ok(id) = id {
                let debug = format!("{id:?}");
                prop_assert!(!debug.contains(&number[3..14]));
            }
        }

        #[test]
        fn never_panics(input in "\\PC{0,24}") {
            let _ = IdNumber::parse(&input);
        }
    }
}
