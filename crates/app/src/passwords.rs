//! argon2id password hashes, computed off the async threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::Error;

pub(crate) async fn hash(password: String, salt: [u8; 16]) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// True when `password` matches `hash`. A malformed stored hash never matches.
pub(crate) async fn verify(password: String, hash: String) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))
}

/// A hash of a password nobody has, verified when the login is unknown so that
/// an unknown login takes as long as a wrong password.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5P0ZR1kbFfe1J8BbHxRJ0KEVSqnS8GbyAmuJ8BxP2xg";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_hash_is_well_formed() {
        let h = hash("correct horse 1".into(), [7; 16]).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse 1".into(), h.clone()).await.unwrap());
        assert!(!verify("wrong horse 1".into(), h).await.unwrap());
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify("anything1".into(), DUMMY_HASH.into()).await.unwrap());
        assert!(!verify("anything1".into(), "garbage".into()).await.unwrap());
    }
}
