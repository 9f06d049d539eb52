//! 互联互通: linked platforms (关联平台) look up this CA's certificates with their own API key.
//!
//! - [`keys`]: an admin generates (or regenerates, revoking the old) and revokes a
//!   platform's key. The key is shown once; only its SHA-256 is stored.
//! - [`lookup`]: a platform presents its key and a serial, and gets the certificate's
//!   status (valid, revoked with time and reason, expired), holder, organisation and USCC,
//!   type, validity and issuer.
//!
//! A platform is not a person: it has no session and no [`crate::Actor`]. Its one right is
//! the lookup, and the key is what grants it; an inactive platform's key grants nothing.
//!
//! **Which certificates a platform may look up: any certificate of this CA.** That is what
//! relying parties learn from OCSP and the CRL anyway, and the details added here (holder,
//! organisation, USCC) are in the certificate's subject, which the platform is shown when
//! the certificate is used. Limiting a platform to the certificates linked to it (新增平台,
//! the `certificate_platforms` table of 证书管理) is one more condition on the
//! lookup (a join on that table) once it exists.

pub mod keys;
pub mod lookup;

pub use keys::{GeneratedKey, PlatformKeyView, generate_key, platform_key, revoke_key};
pub use lookup::{CertificateLookup, LookupStatus, look_up};

use sha2::{Digest, Sha256};

/// Hex SHA-256 of a presented key: how keys are stored and found. The keys are 256-bit
/// random, so a fast hash is right (no password hashing per request).
pub(crate) fn key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}
