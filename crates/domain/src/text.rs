//! Required one-line text fields (names, addresses, 注册机关, 所属区划…).

use std::fmt;

use crate::Reason;

/// A required line of text, trimmed, without control characters, at most `MAX` characters.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Line<const MAX: usize>(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("required")]
    Empty,
    #[error("too long")]
    TooLong,
    #[error("contains control characters")]
    Control,
}

impl Reason for LineError {
    fn key(&self) -> &'static str {
        match self {
            LineError::Empty => "text.empty",
            LineError::TooLong => "text.too_long",
            LineError::Control => "text.control",
        }
    }
}

impl<const MAX: usize> Line<MAX> {
    pub fn parse(s: &str) -> Result<Self, LineError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(LineError::Empty);
        }
        if t.chars().count() > MAX {
            return Err(LineError::TooLong);
        }
        if t.chars().any(char::is_control) {
            return Err(LineError::Control);
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> fmt::Display for Line<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> fmt::Debug for Line<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// A person's name as on their ID card; up to 50 characters (foreign names run long).
pub type PersonName = Line<50>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits() {
        assert_eq!(
            PersonName::parse("  张三 ").map(|n| n.into_string()),
            Ok("张三".into())
        );
        assert_eq!(PersonName::parse("   ").err(), Some(LineError::Empty));
        assert_eq!(Line::<3>::parse("四个字符").err(), Some(LineError::TooLong));
        assert_eq!(
            Line::<3>::parse("三个字").map(|n| n.into_string()),
            Ok("三个字".into())
        );
        assert_eq!(PersonName::parse("a\u{7}b").err(), Some(LineError::Control));
    }
}
