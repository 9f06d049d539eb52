//! OCSP (RFC 6960): parsing requests, answering them with pre-signed responses.
//!
//! Hand-written on the crate's own DER reader and writer rather than x509-ocsp 0.2 (which
//! sits on der 0.7 / x509-cert 0.2, a second ASN.1 stack to compile): the structures are
//! few, a request parse allocates one small vector, and the response is written in one pass.

use std::sync::Arc;

use jiff::Timestamp;

use crate::asn1::{self, INTEGER, OCTET_STRING, SEQUENCE, ctx, ctx_prim};
use crate::ca::Authority;
use crate::cert::CaCertificate;
use crate::crl::RevocationReason;
use crate::serial::Serial;
use crate::signer::{SignError, Signer, parse_spki};
use crate::{CertError, oid};

/// `OCSPResponse { responseStatus malformedRequest }`.
pub const MALFORMED_REQUEST: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x01];
/// `OCSPResponse { responseStatus internalError }`.
pub const INTERNAL_ERROR: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x02];
/// `OCSPResponse { responseStatus tryLater }`.
pub const TRY_LATER: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x03];
/// `OCSPResponse { responseStatus unauthorized }`: the request is not about our issuer.
pub const UNAUTHORIZED: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x06];

/// Why a request cannot be answered with a signed response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("malformed OCSP request: {0}")]
    Malformed(&'static str),
}

impl OcspError {
    /// The exact unsigned response to send back.
    pub fn response(&self) -> &'static [u8] {
        match self {
            OcspError::Malformed(_) => MALFORMED_REQUEST,
        }
    }
}

/// The hash algorithm of a CertID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Sha1,
    Sha256,
    /// Some other algorithm: never ours (answer [`UNAUTHORIZED`]).
    Other,
}

impl HashAlgorithm {
    fn len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Other => 0,
        }
    }

    /// `AlgorithmIdentifier` with NULL parameters, as OpenSSL writes it.
    fn identifier(self) -> &'static [u8] {
        match self {
            HashAlgorithm::Sha1 => &[
                0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00,
            ],
            _ => &[
                0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
                0x00,
            ],
        }
    }
}

/// One CertID from a request: which issuer (by hashes) and which serial.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertId {
    hash: HashAlgorithm,
    name_hash: [u8; 32],
    key_hash: [u8; 32],
    serial: Serial,
}

impl std::fmt::Debug for CertId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertId")
            .field("hash", &self.hash)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl CertId {
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    pub fn serial(&self) -> Serial {
        self.serial
    }

    pub(crate) fn to_der(self) -> Vec<u8> {
        let n = self.hash.len();
        asn1::seq(&[
            self.hash.identifier(),
            &asn1::octet_string(&self.name_hash[..n]),
            &asn1::octet_string(&self.key_hash[..n]),
            &self.serial.to_der(),
        ])
    }
}

/// The issuer hashes of our issuing CA, to recognise requests about it cheaply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerIds {
    sha1_name: [u8; 20],
    sha1_key: [u8; 20],
    sha256_name: [u8; 32],
    sha256_key: [u8; 32],
}

impl IssuerIds {
    /// Hashes of the CA's subject name and of its public key bits (RFC 6960 §4.1.1).
    pub fn new(ca: &CaCertificate) -> Result<IssuerIds, CertError> {
        use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY as SHA1, SHA256, digest};
        let key = parse_spki(ca.public_key_der())
            .map_err(|e| CertError::BadPublicKey(e.0.to_string()))?
            .key;
        let name = ca.subject_der();
        let mut ids = IssuerIds {
            sha1_name: [0; 20],
            sha1_key: [0; 20],
            sha256_name: [0; 32],
            sha256_key: [0; 32],
        };
        ids.sha1_name.copy_from_slice(digest(&SHA1, name).as_ref());
        ids.sha1_key.copy_from_slice(digest(&SHA1, key).as_ref());
        ids.sha256_name
            .copy_from_slice(digest(&SHA256, name).as_ref());
        ids.sha256_key
            .copy_from_slice(digest(&SHA256, key).as_ref());
        Ok(ids)
    }

    /// Whether a CertID names this issuer.
    pub fn matches(&self, id: &CertId) -> bool {
        match id.hash {
            HashAlgorithm::Sha1 => {
                id.name_hash[..20] == self.sha1_name && id.key_hash[..20] == self.sha1_key
            }
            HashAlgorithm::Sha256 => {
                id.name_hash == self.sha256_name && id.key_hash == self.sha256_key
            }
            HashAlgorithm::Other => false,
        }
    }

    /// The CertID for one of our certificates, to pre-sign its response (one per hash
    /// algorithm a client may use: OpenSSL and most clients send SHA-1).
    pub fn cert_id(&self, hash: HashAlgorithm, serial: Serial) -> CertId {
        let mut id = CertId {
            hash,
            name_hash: [0; 32],
            key_hash: [0; 32],
            serial,
        };
        match hash {
            HashAlgorithm::Sha1 => {
                id.name_hash[..20].copy_from_slice(&self.sha1_name);
                id.key_hash[..20].copy_from_slice(&self.sha1_key);
            }
            HashAlgorithm::Sha256 | HashAlgorithm::Other => {
                id.hash = HashAlgorithm::Sha256;
                id.name_hash = self.sha256_name;
                id.key_hash = self.sha256_key;
            }
        }
        id
    }
}

/// A parsed `OCSPRequest`. A signature on the request, if any, is ignored (RFC 6960 lets
/// a responder do so; certdesk answers everybody).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspRequest {
    cert_ids: Vec<CertId>,
    nonce: Option<Vec<u8>>,
}

impl OcspRequest {
    /// Parses a DER `OCSPRequest` (the body of a POST, or a GET path once base64-decoded).
    pub fn parse(der: &[u8]) -> Result<OcspRequest, OcspError> {
        let m = |e: asn1::Malformed| OcspError::Malformed(e.0);
        let req = asn1::read_single(der, SEQUENCE, "not a SEQUENCE").map_err(m)?;
        let mut r = req.reader();
        let tbs = r.read_tag(SEQUENCE, "no TBSRequest").map_err(m)?;
        r.read_optional(ctx(0)).map_err(m)?;
        r.finish("trailing data in OCSPRequest").map_err(m)?;

        let mut tr = tbs.reader();
        if let Some(v) = tr.read_optional(ctx(0)).map_err(m)? {
            let v = asn1::read_single(v.value, INTEGER, "bad version").map_err(m)?;
            if v.value != [0] {
                return Err(OcspError::Malformed("unknown version"));
            }
        }
        tr.read_optional(ctx(1)).map_err(m)?; // requestorName
        let list = tr.read_tag(SEQUENCE, "no requestList").map_err(m)?;
        let exts = tr.read_optional(ctx(2)).map_err(m)?;
        tr.finish("trailing data in TBSRequest").map_err(m)?;

        let mut cert_ids = Vec::with_capacity(1);
        let mut lr = list.reader();
        while !lr.is_empty() {
            let request = lr.read_tag(SEQUENCE, "bad Request").map_err(m)?;
            let mut rr = request.reader();
            let id = rr.read_tag(SEQUENCE, "no CertID").map_err(m)?;
            rr.read_optional(ctx(0)).map_err(m)?;
            rr.finish("trailing data in Request").map_err(m)?;
            cert_ids.push(parse_cert_id(id.value)?);
        }
        if cert_ids.is_empty() {
            return Err(OcspError::Malformed("empty requestList"));
        }

        let mut nonce = None;
        if let Some(exts) = exts {
            let seq =
                asn1::read_single(exts.value, SEQUENCE, "bad requestExtensions").map_err(m)?;
            let mut er = seq.reader();
            while !er.is_empty() {
                let ext = er.read_tag(SEQUENCE, "bad extension").map_err(m)?;
                let mut x = ext.reader();
                let id = x.read_tag(asn1::OID, "bad extension id").map_err(m)?;
                x.read_optional(asn1::BOOLEAN).map_err(m)?;
                let value = x.read_tag(OCTET_STRING, "bad extension value").map_err(m)?;
                if id.raw == oid::OCSP_NONCE {
                    // RFC 8954: an OCTET STRING of 1 to 32 octets; older clients send raw bytes.
                    if value.value.is_empty() || value.value.len() > 34 {
                        return Err(OcspError::Malformed("nonce length"));
                    }
                    nonce = Some(value.value.to_vec());
                }
            }
        }
        Ok(OcspRequest { cert_ids, nonce })
    }

    pub fn cert_ids(&self) -> &[CertId] {
        &self.cert_ids
    }

    /// The nonce extension's value (to echo back), if the client sent one.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }
}

pub(crate) fn parse_cert_id(content: &[u8]) -> Result<CertId, OcspError> {
    let m = |e: asn1::Malformed| OcspError::Malformed(e.0);
    let mut r = asn1::Reader::new(content);
    let alg = r.read_tag(SEQUENCE, "bad hashAlgorithm").map_err(m)?;
    let name = r
        .read_tag(OCTET_STRING, "bad issuerNameHash")
        .map_err(m)?
        .value;
    let key = r
        .read_tag(OCTET_STRING, "bad issuerKeyHash")
        .map_err(m)?
        .value;
    let serial = r.read_tag(INTEGER, "bad serialNumber").map_err(m)?.value;
    r.finish("trailing data in CertID").map_err(m)?;
    let hash_oid = alg
        .reader()
        .read_tag(asn1::OID, "bad hash OID")
        .map_err(m)?
        .raw;
    let hash = if hash_oid == oid::SHA1 {
        HashAlgorithm::Sha1
    } else if hash_oid == oid::SHA256 {
        HashAlgorithm::Sha256
    } else {
        HashAlgorithm::Other
    };
    let n = hash.len();
    if hash != HashAlgorithm::Other && (name.len() != n || key.len() != n) {
        return Err(OcspError::Malformed(
            "hash length does not match its algorithm",
        ));
    }
    let serial =
        Serial::from_der_content(serial).map_err(|_| OcspError::Malformed("serial number"))?;
    let mut id = CertId {
        hash,
        name_hash: [0; 32],
        key_hash: [0; 32],
        serial,
    };
    if hash != HashAlgorithm::Other {
        id.name_hash[..n].copy_from_slice(name);
        id.key_hash[..n].copy_from_slice(key);
    }
    Ok(id)
}

/// What we say about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked {
        at: Timestamp,
        reason: RevocationReason,
    },
    Unknown,
}

/// One `SingleResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub status: CertStatus,
    pub this_update: Timestamp,
    pub next_update: Option<Timestamp>,
}

/// The delegated OCSP responder: its certificate (issued by the issuing CA with
/// id-kp-OCSPSigning) and its key.
#[derive(Clone)]
pub struct Responder {
    cert_der: Vec<u8>,
    key_hash: [u8; 20],
    signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").finish_non_exhaustive()
    }
}

impl Responder {
    /// Pairs the responder certificate with its key; refuses a key that is not the certificate's.
    pub fn new(cert_der: &[u8], signer: Arc<dyn Signer>) -> Result<Responder, CertError> {
        let cert = CaCertificate::from_der(cert_der)?;
        if cert.public_key_der() != signer.public_key_der() {
            return Err(CertError::KeyMismatch);
        }
        let key = parse_spki(cert.public_key_der())
            .map_err(|e| CertError::BadPublicKey(e.0.to_string()))?
            .key;
        let mut key_hash = [0u8; 20];
        key_hash.copy_from_slice(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key).as_ref(),
        );
        Ok(Responder {
            cert_der: cert_der.to_vec(),
            key_hash,
            signer,
        })
    }

    /// Signs a successful `OCSPResponse` (DER) with one `SingleResponse`:
    /// responderID byKey, the responder certificate in `certs`, the nonce echoed if given.
    pub fn sign(
        &self,
        single: &SingleResponse,
        produced_at: Timestamp,
        nonce: Option<&[u8]>,
    ) -> Result<Vec<u8>, SignError> {
        self.sign_all(std::slice::from_ref(single), produced_at, nonce)
    }

    /// As [`Responder::sign`], with one `SingleResponse` per CertID of a request that
    /// asked about several certificates (RFC 6960 §4.2.1), in the order given.
    pub fn sign_all(
        &self,
        singles: &[SingleResponse],
        produced_at: Timestamp,
        nonce: Option<&[u8]>,
    ) -> Result<Vec<u8>, SignError> {
        let singles: Vec<Vec<u8>> = singles.iter().map(single_der).collect();
        let singles: Vec<&[u8]> = singles.iter().map(Vec::as_slice).collect();
        let responder_id = asn1::tlv(ctx(2), &[&asn1::octet_string(&self.key_hash)]);
        let extensions = nonce
            .map(|n| {
                asn1::tlv(
                    ctx(1),
                    &[&asn1::seq(&[&crate::cert::extension(
                        oid::OCSP_NONCE,
                        false,
                        n,
                    )])],
                )
            })
            .unwrap_or_default();
        let data = asn1::seq(&[
            &responder_id,
            &asn1::generalized_time(produced_at),
            &asn1::seq(&singles),
            &extensions,
        ]);
        let signature = self.signer.sign(&data)?;
        let basic = asn1::seq(&[
            &data,
            self.signer.algorithm().algorithm_identifier(),
            &asn1::bit_string(&signature),
            &asn1::tlv(ctx(0), &[&asn1::seq(&[&self.cert_der])]),
        ]);
        let bytes = asn1::seq(&[oid::OCSP_BASIC, &asn1::octet_string(&basic)]);
        // OCSPResponse { responseStatus successful, responseBytes [0] EXPLICIT }
        Ok(asn1::seq(&[
            &[asn1::ENUMERATED, 1, 0],
            &asn1::tlv(ctx(0), &[&bytes]),
        ]))
    }
}

/// One `SingleResponse` (DER).
fn single_der(single: &SingleResponse) -> Vec<u8> {
    let status = match single.status {
        CertStatus::Good => vec![ctx_prim(0), 0],
        CertStatus::Revoked { at, reason } => {
            let mut info = asn1::generalized_time(at);
            if reason != RevocationReason::Unspecified {
                info.extend_from_slice(&asn1::tlv(
                    ctx(0),
                    &[&[asn1::ENUMERATED, 1, reason.code()]],
                ));
            }
            asn1::tlv(ctx(1), &[&info])
        }
        CertStatus::Unknown => vec![ctx_prim(2), 0],
    };
    let next = single
        .next_update
        .map(|t| asn1::tlv(ctx(0), &[&asn1::generalized_time(t)]))
        .unwrap_or_default();
    asn1::seq(&[
        &single.cert_id.to_der(),
        &status,
        &asn1::generalized_time(single.this_update),
        &next,
    ])
}

impl Authority {
    /// The issuer hashes of this CA, for [`IssuerIds::matches`].
    pub fn issuer_ids(&self) -> Result<IssuerIds, CertError> {
        IssuerIds::new(self.certificate())
    }
}
