//! Valid identifiers for tests, distinct for distinct `n`.

use domain::ident::{IdNumber, Uscc};

/// A mobile number: 137 followed by `n` in 8 digits.
pub fn mobile(n: u32) -> String {
    format!("137{:08}", n % 100_000_000)
}

/// A valid USCC: 9133010 0 + `n` in 9 digits + check character.
pub fn uscc(n: u32) -> String {
    let first17 = format!("91330100{:09}", n);
    let check = Uscc::check_char(&first17).expect("digits only");
    format!("{first17}{check}")
}

/// A valid ID number: area 110105, born 1990-01-01, sequence from `n`.
pub fn id_number(n: u32) -> String {
    let first17 = format!("11010519900101{:03}", n % 1000);
    let check = IdNumber::check_char(&first17).expect("digits only");
    format!("{first17}{check}")
}

/// A USCC with its check character changed: well-formed but wrong.
pub fn uscc_with_bad_check(n: u32) -> String {
    let good = uscc(n);
    let (head, check) = good.split_at(17);
    let bad = if check == "0" { '1' } else { '0' };
    format!("{head}{bad}")
}
