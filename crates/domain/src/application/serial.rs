//! A certificate serial number as people type it (until certificates live in certdesk,
//! 延期 / 补办 / 信息变更 / 年检 / 注销 name the certificate concerned by its serial).

use std::fmt;

use crate::Reason;

/// Hex digits, upper case, without separators: "3A:0F 91" becomes "3A0F91".
/// RFC 5280 allows at most 20 octets.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CertSerial(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertSerialError {
    #[error("required")]
    Empty,
    #[error("only hexadecimal digits")]
    NotHex,
    #[error("at most 40 hexadecimal digits")]
    TooLong,
}

impl Reason for CertSerialError {
    fn key(&self) -> &'static str {
        match self {
            CertSerialError::Empty => "cert_serial.empty",
            CertSerialError::NotHex => "cert_serial.not_hex",
            CertSerialError::TooLong => "cert_serial.too_long",
        }
    }
}

impl CertSerial {
    pub fn parse(s: &str) -> Result<CertSerial, CertSerialError> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | ':' | '-'))
            .collect();
        if digits.is_empty() {
            return Err(CertSerialError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(CertSerialError::NotHex);
        }
        if digits.len() > 40 {
            return Err(CertSerialError::TooLong);
        }
        Ok(CertSerial(digits.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CertSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertSerial({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_go_case_is_normalised() {
        assert_eq!(CertSerial::parse("3a:0f 91").unwrap().as_str(), "3A0F91");
        assert_eq!(CertSerial::parse("  "), Err(CertSerialError::Empty));
        assert_eq!(CertSerial::parse("12G4"), Err(CertSerialError::NotHex));
        assert_eq!(
            CertSerial::parse(&"A".repeat(41)),
            Err(CertSerialError::TooLong)
        );
        assert!(CertSerial::parse(&"A".repeat(40)).is_ok());
    }
}
