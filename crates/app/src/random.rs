//! Randomness comes from here: tokens, generated passwords, stand-in codes.

use base64::Engine as _;

pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// The operating system's generator.
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        if let Err(e) = getrandom::fill(buf) {
            // Without an entropy source nothing secure can be made: stop rather than go on weakly.
            panic!("operating system random source failed: {e}");
        }
    }
}

/// 32 random bytes as URL-safe base64 (43 characters): session and CSRF tokens.
pub(crate) fn token(r: &dyn Random) -> String {
    let mut buf = [0u8; 32];
    r.fill(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub(crate) fn u64(r: &dyn Random) -> u64 {
    let mut buf = [0u8; 8];
    r.fill(&mut buf);
    u64::from_le_bytes(buf)
}

/// A password to hand to a person once: 12 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), always with letters and digits.
pub(crate) fn password(r: &dyn Random) -> String {
    const LETTERS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut buf = [0u8; 12];
    r.fill(&mut buf);
    buf.iter()
        .enumerate()
        .map(|(i, b)| {
            // Positions 3 and 8 are digits, the rest letters: both kinds always present.
            let set = if i == 3 || i == 8 { DIGITS } else { LETTERS };
            char::from(set[usize::from(*b) % set.len()])
        })
        .collect()
}

/// `n` random decimal digits (trade numbers, pickup codes). Bytes of 250 and above
/// are skipped, so every digit is equally likely.
pub(crate) fn digits(r: &dyn Random, n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut b = [0u8; 1];
        r.fill(&mut b);
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = password(&OsRandom);
            assert!(domain::account::Password::parse(&p).is_ok(), "{p}");
        }
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = token(&OsRandom);
        assert_eq!(a.len(), 43);
        assert_ne!(a, token(&OsRandom));
    }
}
