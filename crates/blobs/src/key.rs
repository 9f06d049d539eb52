use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name of a stored blob: the lowercase hex SHA-256 of its content.
///
/// Naming a blob by its hash makes storing idempotent (the same scan uploaded twice is stored
/// once) and lets every read prove that the bytes are the ones that were filed. A `BlobKey`
/// that exists is always 64 lowercase hex digits, so it can be put into a path or an S3 object
/// name without escaping, and two spellings of one key cannot both reach the database.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobKey(String);

/// Why a string is not a [`BlobKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobKeyError {
    /// A SHA-256 in hex is always 64 characters; anything else is a typo or a different hash.
    #[error("a blob key has 64 hex digits, this one has {0} characters")]
    WrongLength(usize),
    /// Upper case is refused rather than folded so that one blob has exactly one spelling.
    #[error("a blob key is written with 0-9 and a-f only")]
    NotLowercaseHex,
}

impl BlobKey {
    /// The key under which `bytes` is (or would be) stored.
    pub fn of(bytes: &[u8]) -> Self {
        BlobKey(hex::encode(Sha256::digest(bytes)))
    }

    /// Reads a key that came from outside (a database row, a URL), refusing anything that
    /// [`BlobKey::of`] could not have produced.
    pub fn parse(text: &str) -> Result<Self, BlobKeyError> {
        if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(BlobKeyError::NotLowercaseHex);
        }
        // Only ASCII is left, so bytes are characters.
        if text.len() != 64 {
            return Err(BlobKeyError::WrongLength(text.len()));
        }
        Ok(BlobKey(text.to_owned()))
    }

    /// The 64 hex digits, e.g. for a database column.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ab/cd/abcd…`: two levels of 256 folders keep any one directory small even with
    /// millions of documents, and the same relative name is used in a local directory and in a
    /// bucket, so a store can be copied from one backend to the other with a plain sync tool.
    pub(crate) fn relative_path(&self) -> String {
        format!("{}/{}/{}", &self.0[..2], &self.0[2..4], self.0)
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

impl FromStr for BlobKey {
    type Err = BlobKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        BlobKey::parse(text)
    }
}

impl TryFrom<String> for BlobKey {
    type Error = BlobKeyError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        BlobKey::parse(&text)
    }
}

impl From<BlobKey> for String {
    fn from(key: BlobKey) -> Self {
        key.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn key_of_content_is_its_sha256_in_lowercase_hex() {
        assert_eq!(BlobKey::of(b"abc").as_str(), ABC);
        assert_eq!(
            BlobKey::of(b"").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_accepts_what_of_produces() {
        let key = BlobKey::parse(ABC).unwrap();
        assert_eq!(key, BlobKey::of(b"abc"));
        assert_eq!(ABC.parse::<BlobKey>().unwrap(), key);
        assert_eq!(format!("{key:?}"), format!("BlobKey({ABC})"));
    }

    #[test]
    fn parse_rejects_bad_input() {
        assert_eq!(BlobKey::parse(""), Err(BlobKeyError::WrongLength(0)));
        assert_eq!(
            BlobKey::parse(&ABC[..63]),
            Err(BlobKeyError::WrongLength(63))
        );
        assert_eq!(
            BlobKey::parse(&format!("{ABC}0")),
            Err(BlobKeyError::WrongLength(65))
        );
        assert_eq!(
            BlobKey::parse(&ABC.to_uppercase()),
            Err(BlobKeyError::NotLowercaseHex)
        );
        let with_g = format!("g{}", &ABC[1..]);
        assert_eq!(BlobKey::parse(&with_g), Err(BlobKeyError::NotLowercaseHex));
        let traversal = format!("../{}", &ABC[3..]);
        assert_eq!(
            BlobKey::parse(&traversal),
            Err(BlobKeyError::NotLowercaseHex)
        );
        let padded = format!(" {}", &ABC[1..]);
        assert_eq!(BlobKey::parse(&padded), Err(BlobKeyError::NotLowercaseHex));
        // 64 bytes, but not 64 hex digits.
        let multibyte = format!("件{}", &ABC[3..]);
        assert_eq!(
            BlobKey::parse(&multibyte),
            Err(BlobKeyError::NotLowercaseHex)
        );
        let prefixed = format!("0x{}", &ABC[2..]);
        assert_eq!(
            BlobKey::parse(&prefixed),
            Err(BlobKeyError::NotLowercaseHex)
        );
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Row {
        key: BlobKey,
    }

    #[test]
    fn serde_goes_through_parse() {
        let row = Row {
            key: BlobKey::of(b"abc"),
        };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(text.trim(), format!("key = \"{ABC}\""));
        assert_eq!(toml::from_str::<Row>(&text).unwrap().key, row.key);
        let shouting = format!("key = \"{}\"", ABC.to_uppercase());
        assert!(toml::from_str::<Row>(&shouting).is_err());
    }

    #[test]
    fn relative_path_fans_out_on_the_first_four_digits() {
        assert_eq!(BlobKey::of(b"abc").relative_path(), format!("ba/78/{ABC}"));
    }
}
