//! Money, as a whole number of fen (分).
//!
//! No floating point anywhere: prices, fees and refunds are added and compared exactly,
//! and yuan amounts typed by people are parsed digit by digit.

use std::fmt;

use crate::Reason;

/// An amount of money in fen (1 元 = 100 分). Negative amounts arise only from
/// arithmetic (a balance, a difference); [`Fen::parse_yuan`] accepts no sign.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("an amount has no sign")]
    Sign,
    #[error("an amount has only digits and one decimal point")]
    InvalidChar,
    #[error("an amount is written like 12, 12.5 or 12.50")]
    Format,
    #[error("an amount has at most 2 decimal places")]
    Decimals,
    #[error("the amount is too large")]
    TooLarge,
}

impl Reason for MoneyError {
    fn key(&self) -> &'static str {
        match self {
            MoneyError::Empty => "money.empty",
            MoneyError::Sign => "money.sign",
            MoneyError::InvalidChar => "money.invalid_char",
            MoneyError::Format => "money.format",
            MoneyError::Decimals => "money.decimals",
            MoneyError::TooLarge => "money.too_large",
        }
    }
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// A whole number of yuan, for amounts written in code (prices, fees).
    ///
    /// Saturates at the bounds of `i64` (about 9.2 × 10¹⁶ 元), which no fee comes near.
    pub const fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// The price of `quantity` items at `self` each.
    pub fn checked_mul(self, quantity: u32) -> Option<Fen> {
        self.0.checked_mul(i64::from(quantity)).map(Fen)
    }

    /// Parse a yuan amount as typed: `12`, `12.5`, `12.50`, `0.01`.
    ///
    /// Surrounding whitespace is ignored. Refused, each with its own error: a sign,
    /// thousands separators, an exponent, a currency symbol, more than 2 decimals, and a
    /// point without digits on both sides (`.5`, `12.`).
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        if text.starts_with(['+', '-']) {
            return Err(MoneyError::Sign);
        }
        if !text.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(MoneyError::InvalidChar);
        }
        let (whole, decimals) = text.split_once('.').unwrap_or((text, ""));
        let has_point = text.contains('.');
        if whole.is_empty() || decimals.contains('.') || (has_point && decimals.is_empty()) {
            return Err(MoneyError::Format);
        }
        if decimals.len() > 2 {
            return Err(MoneyError::Decimals);
        }
        let fen_digits = format!("{whole}{decimals:0<2}");
        // Only ASCII digits remain, so the one way this fails is overflow.
        fen_digits
            .parse::<i64>()
            .map(Fen)
            .map_err(|_| MoneyError::TooLarge)
    }

    /// The amount in yuan with exactly 2 decimals and no unit: `12.50`, `-0.05`.
    /// What [`Fen::parse_yuan`] reads back (for amounts that are not negative).
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let fen = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", fen / 100, fen % 100)
    }
}

/// `12.50 元`, `-12.50 元`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 元", self.yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_usual_ways_of_writing_yuan() {
        assert_eq!(Fen::parse_yuan("12"), Ok(Fen(1200)));
        assert_eq!(Fen::parse_yuan("12.5"), Ok(Fen(1250)));
        assert_eq!(Fen::parse_yuan("12.50"), Ok(Fen(1250)));
        assert_eq!(Fen::parse_yuan("0.01"), Ok(Fen(1)));
        assert_eq!(Fen::parse_yuan("0"), Ok(Fen::ZERO));
        assert_eq!(Fen::parse_yuan("0.00"), Ok(Fen::ZERO));
        assert_eq!(Fen::parse_yuan(" 300 "), Ok(Fen::from_yuan(300)));
        assert_eq!(Fen::parse_yuan("007.10"), Ok(Fen(710)));
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("  "), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("-1"), Err(MoneyError::Sign));
        assert_eq!(Fen::parse_yuan("+1"), Err(MoneyError::Sign));
        assert_eq!(Fen::parse_yuan("1e3"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan("1,000"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan("¥12"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan("12元"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan("1 000"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan("１2"), Err(MoneyError::InvalidChar));
        assert_eq!(Fen::parse_yuan(".5"), Err(MoneyError::Format));
        assert_eq!(Fen::parse_yuan("12."), Err(MoneyError::Format));
        assert_eq!(Fen::parse_yuan("."), Err(MoneyError::Format));
        assert_eq!(Fen::parse_yuan("1.2.3"), Err(MoneyError::Format));
        assert_eq!(Fen::parse_yuan("12.505"), Err(MoneyError::Decimals));
        assert_eq!(
            Fen::parse_yuan("92233720368547758.08"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(Fen::parse_yuan("92233720368547758.07"), Ok(Fen(i64::MAX)));
    }

    #[test]
    fn formats_with_two_decimals_and_the_unit() {
        assert_eq!(Fen(1250).to_string(), "12.50 元");
        assert_eq!(Fen(-1250).to_string(), "-12.50 元");
        assert_eq!(Fen(-5).to_string(), "-0.05 元");
        assert_eq!(Fen(1).yuan_string(), "0.01");
        assert_eq!(Fen::ZERO.yuan_string(), "0.00");
        assert_eq!(Fen(i64::MIN).yuan_string(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Fen(1).checked_add(Fen(2)), Some(Fen(3)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(1).checked_sub(Fen(2)), Some(Fen(-1)));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen::from_yuan(10).checked_mul(3), Some(Fen(3000)));
        assert_eq!(Fen(i64::MAX).checked_mul(2), None);
        assert_eq!(Fen::from_yuan(i64::MAX), Fen(i64::MAX));
    }

    #[test]
    fn serialises_as_a_bare_number() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, I64Deserializer};

        let de: I64Deserializer<Error> = 1250i64.into_deserializer();
        assert_eq!(Fen::deserialize(de), Ok(Fen(1250)));
    }

    proptest! {
        #[test]
        fn yuan_string_round_trips(fen in 0i64..=i64::MAX) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).yuan_string()), Ok(Fen(fen)));
        }

        #[test]
        fn display_never_loses_fen(fen in any::<i64>()) {
            let shown = Fen(fen).to_string();
            let number = shown.strip_suffix(" 元").unwrap_or_default();
            let magnitude = number.strip_prefix('-').unwrap_or(number);
            prop_assert_eq!(number.starts_with('-'), fen < 0);
            let (whole, decimals) = magnitude.split_once('.').unwrap_or_default();
            prop_assert_eq!(decimals.len(), 2);
            prop_assert_eq!(format!("{whole}{decimals}").parse::<u64>(), Ok(fen.unsigned_abs()));
        }

        #[test]
        fn never_panics(input in "\\PC{0,24}") {
            let _ = Fen::parse_yuan(&input);
        }
    }
}
