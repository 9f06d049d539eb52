//! Human-readable order numbers: `CA` + the Shanghai date + a sequence of that day,
//! e.g. `CA20261121000123`. Internal ids stay UUIDs; this is what people read out
//! on the phone.

use std::fmt;

use jiff::civil::Date;

use crate::Reason;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrderNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order number is CA, a date and a sequence number, e.g. CA20261121000123")]
pub struct OrderNumberError;

impl Reason for OrderNumberError {
    fn key(&self) -> &'static str {
        "order_number.invalid"
    }
}

impl OrderNumber {
    /// The `sequence`-th order of `day` (from 1). Six digits are padded; a day past
    /// 999,999 orders simply grows a digit, and numbers still sort within a day by length.
    pub fn new(day: Date, sequence: u64) -> OrderNumber {
        OrderNumber(format!(
            "CA{:04}{:02}{:02}{:06}",
            day.year(),
            day.month(),
            day.day(),
            sequence
        ))
    }

    pub fn parse(s: &str) -> Result<OrderNumber, OrderNumberError> {
        let t = s.trim().to_ascii_uppercase();
        let rest = t.strip_prefix("CA").ok_or(OrderNumberError)?;
        if rest.len() < 14 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderNumberError);
        }
        let date = &rest[..8];
        let (y, m, d) = (
            date[..4].parse::<i16>().map_err(|_| OrderNumberError)?,
            date[4..6].parse::<i8>().map_err(|_| OrderNumberError)?,
            date[6..].parse::<i8>().map_err(|_| OrderNumberError)?,
        );
        Date::new(y, m, d).map_err(|_| OrderNumberError)?;
        Ok(OrderNumber(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn format_and_parse() {
        let n = OrderNumber::new(date(2026, 11, 21), 123);
        assert_eq!(n.as_str(), "CA20261121000123");
        assert_eq!(OrderNumber::parse("ca20261121000123"), Ok(n));
        assert_eq!(
            OrderNumber::new(date(2026, 1, 2), 1_234_567).as_str(),
            "CA202601021234567"
        );
        for bad in [
            "",
            "CA2026112100012",
            "XX20261121000123",
            "CA20261321000123",
            "CA2026112100012A",
        ] {
            assert_eq!(OrderNumber::parse(bad), Err(OrderNumberError), "{bad}");
        }
    }
}
