//! Certificate serial numbers.

use std::fmt;

use crate::asn1;

/// A certificate serial number: a positive INTEGER of at most 20 octets (RFC 5280 §4.1.2.2).
///
/// Fixed-size and `Copy` so that a million CRL entries are a million plain values, not a
/// million heap allocations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial {
    len: u8,
    /// DER INTEGER content (minimal, with a leading zero when the top bit is set), left-aligned.
    bytes: [u8; 20],
}

/// Why bytes are not a serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("a serial number must not be zero")]
    Zero,
    #[error("a serial number must be positive")]
    Negative,
    #[error("a serial number takes at most 20 octets")]
    TooLong,
    #[error("a serial number must be minimally encoded")]
    NotMinimal,
    #[error("a serial number in hex has an odd length or a non-hex character")]
    BadHex,
}

impl Serial {
    /// 16 bytes from the OS random source with the top bit cleared: 127 random bits,
    /// comfortably above the 64 that DESIGN.md §5 and the CA/B Forum ask for.
    pub fn random() -> Serial {
        let mut b = [0u8; 16];
        loop {
            // The OS RNG does not fail on supported platforms; retry rather than panic if it does.
            if aws_lc_rs::rand::fill(&mut b).is_err() {
                continue;
            }
            b[0] &= 0x7f;
            if let Ok(s) = Serial::from_unsigned_bytes(&b) {
                return s;
            }
        }
    }

    /// From the magnitude, big-endian (leading zeros allowed and dropped).
    pub fn from_unsigned_bytes(magnitude: &[u8]) -> Result<Serial, SerialError> {
        let skip = magnitude.iter().take_while(|b| **b == 0).count();
        let m = &magnitude[skip..];
        if m.is_empty() {
            return Err(SerialError::Zero);
        }
        let pad = usize::from(m[0] & 0x80 != 0);
        if m.len() + pad > 20 {
            return Err(SerialError::TooLong);
        }
        let mut bytes = [0u8; 20];
        bytes[pad..pad + m.len()].copy_from_slice(m);
        Ok(Serial {
            len: (m.len() + pad) as u8,
            bytes,
        })
    }

    /// From DER INTEGER content octets, as found in a certificate or an OCSP request.
    pub fn from_der_content(content: &[u8]) -> Result<Serial, SerialError> {
        match content {
            [] => Err(SerialError::NotMinimal),
            [first, ..] if first & 0x80 != 0 => Err(SerialError::Negative),
            [0] => Err(SerialError::Zero),
            [0, second, ..] if second & 0x80 == 0 => Err(SerialError::NotMinimal),
            _ if content.len() > 20 => Err(SerialError::TooLong),
            _ => {
                let mut bytes = [0u8; 20];
                bytes[..content.len()].copy_from_slice(content);
                Ok(Serial {
                    len: content.len() as u8,
                    bytes,
                })
            }
        }
    }

    /// From hex (as `openssl x509 -serial` prints it, or as stored by the app).
    pub fn from_hex(hex: &str) -> Result<Serial, SerialError> {
        let hex = hex.trim();
        let hex = hex.strip_prefix("0x").unwrap_or(hex);
        if !hex.len().is_multiple_of(2) || hex.len() > 42 {
            return Err(if hex.len() > 42 {
                SerialError::TooLong
            } else {
                SerialError::BadHex
            });
        }
        let mut buf = [0u8; 21];
        for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16).ok_or(SerialError::BadHex);
            buf[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Serial::from_unsigned_bytes(&buf[..hex.len() / 2])
    }

    /// The DER INTEGER content octets.
    pub fn as_der_content(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The full DER INTEGER (tag, length, content).
    pub fn to_der(&self) -> Vec<u8> {
        asn1::tlv(asn1::INTEGER, &[self.as_der_content()])
    }

    /// Upper-case hex of the magnitude, no leading zero byte: the form OpenSSL prints.
    pub fn to_hex(&self) -> String {
        let c = self.as_der_content();
        let c = if c.len() > 1 && c[0] == 0 { &c[1..] } else { c };
        c.iter().map(|b| format!("{b:02X}")).collect()
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_serials_are_positive_16_bytes_or_fewer_and_distinct() {
        let a = Serial::random();
        let b = Serial::random();
        assert_ne!(a, b);
        for s in [a, b] {
            assert!(s.as_der_content().len() <= 16);
            assert!(s.as_der_content()[0] & 0x80 == 0);
            assert_eq!(Serial::from_der_content(s.as_der_content()), Ok(s));
        }
    }

    #[test]
    fn encodings() {
        let s = Serial::from_hex("80").unwrap();
        assert_eq!(s.as_der_content(), &[0, 0x80]);
        assert_eq!(s.to_hex(), "80");
        assert_eq!(
            Serial::from_hex("0x0102").unwrap().as_der_content(),
            &[1, 2]
        );
        assert_eq!(Serial::from_hex("00"), Err(SerialError::Zero));
        assert_eq!(Serial::from_hex("abc"), Err(SerialError::BadHex));
        assert_eq!(
            Serial::from_unsigned_bytes(&[0xff; 20]),
            Err(SerialError::TooLong)
        );
        assert!(Serial::from_unsigned_bytes(&[0x7f; 20]).is_ok());
        assert_eq!(
            Serial::from_der_content(&[0x80]),
            Err(SerialError::Negative)
        );
        assert_eq!(
            Serial::from_der_content(&[0, 1]),
            Err(SerialError::NotMinimal)
        );
    }
}
