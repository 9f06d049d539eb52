//! 统一社会信用代码 (GB 32100-2015).

use std::fmt;

use crate::Reason;

/// The 31 characters a code may use, in the order of their values 0..=30.
/// I, O, S, V and Z are left out because they are easily confused with 1, 0, 5, U and 2.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weight of each of the first 17 positions: 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

const LEN: usize = 18;

/// A 统一社会信用代码 that has the right shape and check character.
///
/// Stored upper case; lower-case input is accepted because people type it that way.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Uscc(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("the unified social credit code is empty")]
    Empty,
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error(
        "a unified social credit code uses only digits and the letters A-Z except I, O, S, V, Z"
    )]
    InvalidChar,
    #[error("characters 3 to 8 of a unified social credit code (the area code) must be digits")]
    AreaCode,
    #[error("the check character of the unified social credit code is wrong")]
    CheckDigit,
}

impl Reason for UsccError {
    fn key(&self) -> &'static str {
        match self {
            UsccError::Empty => "uscc.empty",
            UsccError::Length => "uscc.length",
            UsccError::InvalidChar => "uscc.invalid_char",
            UsccError::AreaCode => "uscc.area_code",
            UsccError::CheckDigit => "uscc.check_digit",
        }
    }
}

/// The value (0..=30) of an upper-case code character, or `None` if the code does not use it.
fn value(c: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// Check character for 17 values, each in 0..=30.
fn check_of(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    // `check` is in 0..=30, so the index is always in range.
    char::from(ALPHABET[check as usize])
}

impl Uscc {
    /// Parse a code as typed: surrounding whitespace is ignored, letters may be lower case.
    ///
    /// Characters outside the alphabet are reported before a wrong length, because
    /// "一个空格" or a pasted hyphen is the more useful thing to tell the user.
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let text = input.trim().to_ascii_uppercase();
        if text.is_empty() {
            return Err(UsccError::Empty);
        }
        let values: Vec<u32> = text
            .chars()
            .map(value)
            .collect::<Option<_>>()
            .ok_or(UsccError::InvalidChar)?;
        if values.len() != LEN {
            return Err(UsccError::Length);
        }
        if values[2..8].iter().any(|&v| v > 9) {
            return Err(UsccError::AreaCode);
        }
        // The text is 18 ASCII characters here, so byte 17 is the last character.
        if check_of(&values[..17]) != char::from(text.as_bytes()[17]) {
            return Err(UsccError::CheckDigit);
        }
        Ok(Uscc(text))
    }

    /// The check character that completes the first 17 characters of a code,
    /// or `None` if they are not 17 characters of the code alphabet (either case).
    ///
    /// For building demo data and test codes; it does not check the area code.
    pub fn check_char(first17: &str) -> Option<char> {
        let values: Vec<u32> = first17
            .chars()
            .map(|c| value(c.to_ascii_uppercase()))
            .collect::<Option<_>>()?;
        (values.len() == 17).then(|| check_of(&values))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::serde_as_parsed_str!(Uscc);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &str = "91350100M000100Y43";

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn accepts_a_real_world_code() {
        assert_eq!(
            Uscc::parse(VALID).map(Uscc::into_string),
            Ok(VALID.to_owned())
        );
        assert_eq!(Uscc::check_char(&VALID[..17]), Some('3'));
    }

    #[test]
    fn every_substitution_in_the_real_world_code_is_caught() {
        let mut tried = 0;
        for pos in 0..LEN {
            for &replacement in ALPHABET.iter().filter(|&&a| a != VALID.as_bytes()[pos]) {
                let mut bytes = VALID.as_bytes().to_vec();
                bytes[pos] = replacement;
                let changed = String::from_utf8_lossy(&bytes).into_owned();
                assert!(Uscc::parse(&changed).is_err(), "{changed}");
                tried += 1;
            }
        }
        assert_eq!(tried, 18 * 30);
    }

    #[test]
    fn trims_and_upper_cases() {
        let parsed = Uscc::parse(" \t91350100m000100y43\n");
        assert_eq!(parsed.as_ref().map(Uscc::as_str), Ok(VALID));
        assert_eq!(parsed.map(|u| u.to_string()), Ok(VALID.to_owned()));
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(Uscc::parse(""), Err(UsccError::Empty));
        assert_eq!(Uscc::parse("   "), Err(UsccError::Empty));
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length));
        assert_eq!(Uscc::parse("91350100M000100Y433"), Err(UsccError::Length));
        assert_eq!(
            Uscc::parse("91350100M000100O43"),
            Err(UsccError::InvalidChar)
        );
        assert_eq!(
            Uscc::parse("9135-0100M000100Y43"),
            Err(UsccError::InvalidChar)
        );
        assert_eq!(
            Uscc::parse("91350100M000 100Y43"),
            Err(UsccError::InvalidChar)
        );
        assert_eq!(
            Uscc::parse("９1350100M000100Y43"),
            Err(UsccError::InvalidChar)
        );
        assert_eq!(Uscc::parse("91A50100M000100Y43"), Err(UsccError::AreaCode));
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::CheckDigit)
        );
    }

    #[test]
    fn check_char_needs_seventeen_code_characters() {
        assert_eq!(Uscc::check_char("91350100M000100Y"), None);
        assert_eq!(Uscc::check_char("91350100M000100Y43"), None);
        assert_eq!(Uscc::check_char("91350100M000100I4"), None);
        assert_eq!(Uscc::check_char("91350100m000100y4"), Some('3'));
    }

    #[test]
    fn keys_are_namespaced() {
        for e in [
            UsccError::Empty,
            UsccError::Length,
            UsccError::InvalidChar,
            UsccError::AreaCode,
            UsccError::CheckDigit,
        ] {
            assert!(e.key().starts_with("uscc."));
        }
    }

    #[test]
    fn deserialises_through_parse() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};

        let ok: StrDeserializer<'_, Error> = "91350100m000100y43".into_deserializer();
        assert_eq!(
            Uscc::deserialize(ok).map(Uscc::into_string),
            Ok(VALID.to_owned())
        );
        let bad: StrDeserializer<'_, Error> = "91350100M000100Y44".into_deserializer();
        assert!(Uscc::deserialize(bad).is_err());
    }

    fn code_char() -> impl Strategy<Value = char> {
        prop::sample::select(ALPHABET.map(char::from).to_vec())
    }

    fn first17() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(code_char(), 2),
            prop::collection::vec(prop::char::range('0', '9'), 6),
            prop::collection::vec(code_char(), 9),
        )
            .prop_map(|(a, b, c)| a.into_iter().chain(b).chain(c).collect())
    }

    fn valid_code() -> impl Strategy<Value = String> {
        first17().prop_filter_map("17 code characters", |s| {
            Uscc::check_char(&s).map(|c| format!("{s}{c}"))
        })
    }

    proptest! {
        #[test]
        fn every_generated_code_parses(code in valid_code()) {
            prop_assert_eq!(Uscc::parse(&code).map(Uscc::into_string), Ok(code.clone()));
            prop_assert_eq!(
                Uscc::parse(&code.to_ascii_lowercase()).map(Uscc::into_string),
                Ok(code)
            );
        }

        #[test]
        fn every_single_substitution_is_caught(
            code in valid_code(),
            pos in 0usize..LEN,
            replacement in code_char(),
        ) {
            let mut chars: Vec<char> = code.chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(Uscc::parse(&changed).is_err());
        }

        #[test]
        fn never_panics(input in "\\PC{0,24}") {
            let _ = Uscc::parse(&input);
        }
    }
}
