//! What an application costs: a price per certificate per year from the fee
//! schedule, times quantity and years, plus shipping for mail and, for 补办, the
//! overdue fee the reviewer sets.

use crate::Fen;
use crate::Reason;

/// The most certificates one application may ask for.
pub const MAX_QUANTITY: u32 = 100;
/// The most years one application may buy.
pub const MAX_YEARS: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteInput {
    /// From the fee schedule, for the kind × certificate type × channel.
    pub unit_price: Fen,
    pub quantity: u32,
    pub years: u32,
    /// The shipping fee when mailed, `None` otherwise. One fee per order (seed 001: 10元/单).
    pub shipping: Option<Fen>,
    /// 延期费用 set by the reviewer on 补办; zero otherwise.
    pub overdue: Fen,
}

/// The amount due, with its breakdown for the order page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    pub unit_price: Fen,
    pub quantity: u32,
    pub years: u32,
    /// unit price × quantity × years.
    pub certificates: Fen,
    pub shipping: Fen,
    pub overdue: Fen,
    pub total: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("quantity is 1 to {MAX_QUANTITY}")]
    Quantity,
    #[error("years are 1 to {MAX_YEARS}")]
    Years,
    #[error("a price or fee cannot be negative")]
    Negative,
    #[error("the amount is too large")]
    Overflow,
}

impl Reason for FeeError {
    fn key(&self) -> &'static str {
        match self {
            FeeError::Quantity => "fee.quantity",
            FeeError::Years => "fee.years",
            FeeError::Negative => "fee.negative",
            FeeError::Overflow => "fee.overflow",
        }
    }
}

impl Quote {
    pub fn compute(input: QuoteInput) -> Result<Quote, FeeError> {
        if !(1..=MAX_QUANTITY).contains(&input.quantity) {
            return Err(FeeError::Quantity);
        }
        if !(1..=MAX_YEARS).contains(&input.years) {
            return Err(FeeError::Years);
        }
        let shipping = input.shipping.unwrap_or(Fen(0));
        if input.unit_price.0 < 0 || shipping.0 < 0 || input.overdue.0 < 0 {
            return Err(FeeError::Negative);
        }
        let certificates = input
            .unit_price
            .checked_mul(input.quantity)
            .and_then(|f| f.checked_mul(input.years))
            .ok_or(FeeError::Overflow)?;
        let total = certificates
            .checked_add(shipping)
            .and_then(|f| f.checked_add(input.overdue))
            .ok_or(FeeError::Overflow)?;
        Ok(Quote {
            unit_price: input.unit_price,
            quantity: input.quantity,
            years: input.years,
            certificates,
            shipping,
            overdue: input.overdue,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(unit: i64, quantity: u32, years: u32) -> QuoteInput {
        QuoteInput {
            unit_price: Fen(unit),
            quantity,
            years,
            shipping: None,
            overdue: Fen(0),
        }
    }

    #[test]
    fn breakdown() {
        let q = Quote::compute(QuoteInput {
            shipping: Some(Fen(1000)),
            ..input(30_000, 2, 3)
        })
        .unwrap();
        assert_eq!(q.certificates, Fen(180_000));
        assert_eq!(q.shipping, Fen(1000));
        assert_eq!(q.total, Fen(181_000));
        let replace = Quote::compute(QuoteInput {
            overdue: Fen(5_000),
            ..input(20_000, 1, 1)
        })
        .unwrap();
        assert_eq!(replace.total, Fen(25_000));
    }

    #[test]
    fn limits() {
        assert_eq!(Quote::compute(input(1, 0, 1)), Err(FeeError::Quantity));
        assert_eq!(Quote::compute(input(1, 101, 1)), Err(FeeError::Quantity));
        assert_eq!(Quote::compute(input(1, 1, 0)), Err(FeeError::Years));
        assert_eq!(Quote::compute(input(1, 1, 6)), Err(FeeError::Years));
        assert_eq!(Quote::compute(input(-1, 1, 1)), Err(FeeError::Negative));
        assert_eq!(
            Quote::compute(input(i64::MAX, 2, 1)),
            Err(FeeError::Overflow)
        );
        assert_eq!(Quote::compute(input(0, 1, 1)).unwrap().total, Fen(0));
    }

    proptest! {
        #[test]
        fn total_is_the_sum_of_its_parts(
            unit in 0i64..10_000_000, quantity in 1u32..=100, years in 1u32..=5,
            ship in proptest::option::of(0i64..100_000), overdue in 0i64..1_000_000,
        ) {
            let q = Quote::compute(QuoteInput {
                unit_price: Fen(unit), quantity, years, shipping: ship.map(Fen), overdue: Fen(overdue),
            }).unwrap();
            prop_assert_eq!(
                q.total.0,
                unit * i64::from(quantity) * i64::from(years) + ship.unwrap_or(0) + overdue
            );
        }
    }
}
