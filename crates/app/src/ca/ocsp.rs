//! OCSP (RFC 6960) from pre-signed responses.
//!
//! One signed response per (CertID hash, serial) is kept in memory, signed on the first
//! request and again once half its validity has passed, or after a revocation. A request
//! about one certificate whose response is cached costs a parse, a hash-map read and a
//! copy of an `Arc`: no database, no signature. Requests about several certificates are
//! signed on demand (with the nonce, if any). Cached responses carry no nonce (RFC 5019).
//!
//! Serials we never issued, under our issuer, are answered `unknown` (RFC 6960 §2.2); those
//! answers are cached too, a bounded number for a short while, so repeating a made-up
//! serial does not cost a query each time. CertIDs of another issuer, or with a hash we do
//! not know, get `unauthorized`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::RwLock;

use bytes::Bytes;
use domain::ids::AuthorityId;
use jiff::{SignedDuration, Timestamp};
use pki::ocsp::{CertId, CertStatus, HashAlgorithm, OcspRequest, Responder, SingleResponse};
use store::ca::CertificateStatus;

use super::{Ca, read, reason_from_name};
use crate::{App, Error};

/// nextUpdate − thisUpdate of every response; re-signed when half of it has passed.
pub const RESPONSE_VALIDITY: SignedDuration = SignedDuration::from_hours(24);
/// How long an `unknown` answer is kept.
pub const UNKNOWN_VALIDITY: SignedDuration = SignedDuration::from_mins(5);
/// Cached `unknown` answers, at most (per shard: this / [`SHARDS`]).
pub const UNKNOWN_LIMIT: usize = 65_536;
const SHARDS: usize = 16;

/// `OCSPResponse { malformedRequest }`, for a request that is not even base64.
pub const MALFORMED_REQUEST: &[u8] = pki::ocsp::MALFORMED_REQUEST;
/// The `internalError` answer.
pub const INTERNAL_ERROR: &[u8] = pki::ocsp::INTERNAL_ERROR;

/// The responder certificate and key currently answering.
#[derive(Debug)]
pub(crate) struct CurrentResponder {
    pub id: AuthorityId,
    pub responder: Responder,
    pub not_after: Timestamp,
}

/// An answer to send.
#[derive(Clone, Debug)]
pub struct OcspAnswer {
    /// `OCSPResponse`, DER.
    pub der: Bytes,
    /// For `Cache-Control: max-age` on GET: seconds until nextUpdate; none for errors.
    pub max_age: Option<u64>,
}

impl OcspAnswer {
    fn error(bytes: &'static [u8]) -> OcspAnswer {
        OcspAnswer {
            der: Bytes::from_static(bytes),
            max_age: None,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    der: Bytes,
    refresh_after: Timestamp,
    next_update: Timestamp,
}

type Key = (HashAlgorithm, pki::Serial);

/// The pre-signed responses: issued certificates, and a bounded set of `unknown` ones.
#[derive(Default)]
pub(crate) struct Cache {
    known: [RwLock<HashMap<Key, Entry>>; SHARDS],
    unknown: [RwLock<HashMap<Key, Entry>>; SHARDS],
    hasher: std::hash::RandomState,
}

impl Cache {
    fn shard(&self, key: &Key) -> usize {
        // usize from u64 keeps the low bits on every platform.
        (self.hasher.hash_one(key) as usize) % SHARDS
    }

    fn get(&self, key: &Key, now: Timestamp) -> Option<Entry> {
        let i = self.shard(key);
        for map in [&self.known[i], &self.unknown[i]] {
            let map = match map.read() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            if let Some(e) = map.get(key)
                && now < e.refresh_after
            {
                return Some(e.clone());
            }
        }
        None
    }

    fn put(&self, key: Key, entry: Entry, known: bool) {
        let i = self.shard(&key);
        let lock = if known {
            &self.known[i]
        } else {
            &self.unknown[i]
        };
        let mut map = match lock.write() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if !known && map.len() >= UNKNOWN_LIMIT / SHARDS {
            // Bounded, crudely: a flood of made-up serials empties the shard now and then.
            map.clear();
        }
        map.insert(key, entry);
    }

    /// Drops what is cached about one serial (after its revocation).
    pub(crate) fn forget(&self, serial: pki::Serial) {
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
            let key = (hash, serial);
            let i = self.shard(&key);
            for lock in [&self.known[i], &self.unknown[i]] {
                match lock.write() {
                    Ok(mut m) => m.remove(&key),
                    Err(p) => p.into_inner().remove(&key),
                };
            }
        }
    }

    /// Drops everything (another instance revoked something, or the responder changed).
    pub(crate) fn clear(&self) {
        for lock in self.known.iter().chain(self.unknown.iter()) {
            match lock.write() {
                Ok(mut m) => m.clear(),
                Err(p) => p.into_inner().clear(),
            }
        }
    }
}

/// Answers an `OCSPRequest` (DER). Without a CA: an error the caller maps to 503.
pub async fn respond(app: &App, request: &[u8]) -> Result<OcspAnswer, Error> {
    let ca = app.require_ca()?;
    let Ok(parsed) = OcspRequest::parse(request) else {
        return Ok(OcspAnswer::error(pki::ocsp::MALFORMED_REQUEST));
    };
    let ids = parsed.cert_ids();
    if ids.is_empty() {
        return Ok(OcspAnswer::error(pki::ocsp::MALFORMED_REQUEST));
    }
    if !ids.iter().all(|id| ca.issuer_ids.matches(id)) {
        return Ok(OcspAnswer::error(pki::ocsp::UNAUTHORIZED));
    }
    let now = app.now();
    if let [id] = ids {
        let key = (id.hash_algorithm(), id.serial());
        if let Some(e) = ca.cache.get(&key, now) {
            return Ok(answer(e.der, e.next_update, now));
        }
        return one(app, ca, *id, now).await;
    }
    // Several certificates: signed on demand, with the nonce.
    let mut singles = Vec::with_capacity(ids.len());
    for id in ids {
        singles.push(single(app, *id, now).await?);
    }
    let responder = read(&ca.responder);
    let der = match responder.responder.sign_all(&singles, now, parsed.nonce()) {
        Ok(der) => der,
        Err(e) => {
            tracing::error!(error = %e, "OCSP signing failed");
            return Ok(OcspAnswer::error(pki::ocsp::INTERNAL_ERROR));
        }
    };
    let next = singles
        .iter()
        .filter_map(|s| s.next_update)
        .min()
        .unwrap_or(now);
    Ok(answer(Bytes::from(der), next, now))
}

fn answer(der: Bytes, next_update: Timestamp, now: Timestamp) -> OcspAnswer {
    let secs = now.duration_until(next_update).as_secs().max(0);
    OcspAnswer {
        der,
        max_age: Some(u64::try_from(secs).unwrap_or(0)),
    }
}

/// The status of one certificate, from the database.
async fn single(app: &App, id: CertId, now: Timestamp) -> Result<SingleResponse, Error> {
    let record = {
        let mut conn = app.store.conn().await?;
        store::ca::by_serial(&mut conn, &id.serial().to_hex()).await?
    };
    let (status, next) = match record {
        None => (CertStatus::Unknown, now + UNKNOWN_VALIDITY),
        Some(c) => match (c.status, c.revoked_at, c.revocation_reason) {
            (CertificateStatus::Valid, _, _) => (CertStatus::Good, now + RESPONSE_VALIDITY),
            (CertificateStatus::Revoked, Some(at), Some(reason)) => (
                CertStatus::Revoked {
                    at,
                    reason: reason_from_name(&reason).unwrap_or(pki::RevocationReason::Unspecified),
                },
                now + RESPONSE_VALIDITY,
            ),
            (CertificateStatus::Revoked, _, _) => {
                return Err(Error::Internal(format!(
                    "revoked certificate {} without time or reason",
                    c.issued.serial
                )));
            }
        },
    };
    Ok(SingleResponse {
        cert_id: id,
        status,
        this_update: now,
        next_update: Some(next),
    })
}

/// A cache miss about one certificate: look it up, sign, keep, answer.
async fn one(app: &App, ca: &Ca, id: CertId, now: Timestamp) -> Result<OcspAnswer, Error> {
    // A revocation that lands while this answer is made must not leave it cached.
    let revision = ca.revision();
    let s = match single(app, id, now).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "OCSP lookup failed");
            return Ok(OcspAnswer::error(pki::ocsp::TRY_LATER));
        }
    };
    let responder = read(&ca.responder);
    let der = match responder.responder.sign(&s, now, None) {
        Ok(der) => Bytes::from(der),
        Err(e) => {
            tracing::error!(error = %e, "OCSP signing failed");
            return Ok(OcspAnswer::error(pki::ocsp::INTERNAL_ERROR));
        }
    };
    let next_update = s.next_update.unwrap_or(now);
    let known = s.status != CertStatus::Unknown;
    let half = now.duration_until(next_update) / 2;
    if ca.revision() != revision {
        return Ok(answer(der, next_update, now));
    }
    ca.cache.put(
        (id.hash_algorithm(), id.serial()),
        Entry {
            der: der.clone(),
            refresh_after: now + half,
            next_update,
        },
        known,
    );
    Ok(answer(der, next_update, now))
}
