//! The client side of OCSP (RFC 6960): a request about one certificate, and the checks on
//! the answer — the signature (by the issuer, or by a responder certificate the issuer gave
//! id-kp-OCSPSigning), the CertID, the nonce, the freshness.
//!
//! Used by the USB-key tool's 测试盖章 (`certdesk token sign-test`); the transport (an HTTP
//! POST) is the caller's.

use jiff::{SignedDuration, Timestamp};

use crate::asn1::{self, BIT_STRING, ENUMERATED, INTEGER, OCTET_STRING, SEQUENCE, ctx, ctx_prim};
use crate::cert::CaCertificate;
use crate::ocsp::{CertId, HashAlgorithm, IssuerIds};
use crate::{CsrError, PublicKey, oid};

/// Clock skew tolerated on thisUpdate / nextUpdate.
const SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Why an OCSP answer cannot be trusted or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspClientError {
    #[error("bad certificate: {0}")]
    BadCertificate(&'static str),
    #[error("malformed OCSP response: {0}")]
    Malformed(&'static str),
    /// `responseStatus` other than successful (1 malformedRequest, 2 internalError,
    /// 3 tryLater, 5 sigRequired, 6 unauthorized).
    #[error("the responder refused the request (responseStatus {0})")]
    Refused(u8),
    #[error("the response is signed by neither the issuer nor a responder it authorised")]
    BadSignature,
    #[error("the response does not speak of this certificate")]
    WrongCertificate,
    #[error("the response echoes a different nonce")]
    NonceMismatch,
    #[error("the response is not current (thisUpdate in the future or nextUpdate past)")]
    Stale,
}

impl From<asn1::Malformed> for OcspClientError {
    fn from(e: asn1::Malformed) -> Self {
        OcspClientError::Malformed(e.0)
    }
}

/// What the responder says about the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspStatus {
    Good,
    /// Revoked at a time, with the CRLReason code if the responder gave one.
    Revoked {
        at: Timestamp,
        reason: Option<u8>,
    },
    Unknown,
}

/// A checked answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspAnswer {
    pub status: OcspStatus,
    pub produced_at: Timestamp,
    pub this_update: Timestamp,
    pub next_update: Option<Timestamp>,
    /// Signed by a delegated responder certificate rather than by the issuer itself.
    pub delegated: bool,
}

/// A request about one certificate, remembering what its answer must match.
#[derive(Debug, Clone)]
pub struct OcspQuery {
    der: Vec<u8>,
    cert_id: CertId,
    ids: IssuerIds,
    issuer_subject: Vec<u8>,
    issuer_key: PublicKey,
    nonce: Option<Vec<u8>>,
}

impl OcspQuery {
    /// A request with a SHA-1 CertID (what responders universally index by) for the
    /// certificate `cert_der` issued by `issuer_der`, with a nonce if one is given.
    pub fn new(
        cert_der: &[u8],
        issuer_der: &[u8],
        nonce: Option<&[u8]>,
    ) -> Result<OcspQuery, OcspClientError> {
        let bad = |_| OcspClientError::BadCertificate("cannot read the certificate");
        let cert = CaCertificate::from_der(cert_der).map_err(bad)?;
        let issuer = CaCertificate::from_der(issuer_der)
            .map_err(|_| OcspClientError::BadCertificate("cannot read the issuer certificate"))?;
        let ids = IssuerIds::new(&issuer)
            .map_err(|_| OcspClientError::BadCertificate("bad issuer public key"))?;
        let issuer_key = PublicKey::from_spki_der(issuer.public_key_der())
            .map_err(|_| OcspClientError::BadCertificate("bad issuer public key"))?;
        let cert_id = ids.cert_id(HashAlgorithm::Sha1, cert.serial());
        let request = asn1::seq(&[&cert_id.to_der()]);
        let extensions = nonce
            .map(|n| {
                asn1::tlv(
                    ctx(2),
                    &[&asn1::seq(&[&crate::cert::extension(
                        oid::OCSP_NONCE,
                        false,
                        &asn1::octet_string(n),
                    )])],
                )
            })
            .unwrap_or_default();
        let tbs = asn1::seq(&[&asn1::seq(&[&request]), &extensions]);
        Ok(OcspQuery {
            der: asn1::seq(&[&tbs]),
            cert_id,
            ids,
            issuer_subject: issuer.subject_der().to_vec(),
            issuer_key,
            nonce: nonce.map(asn1::octet_string),
        })
    }

    /// The DER `OCSPRequest`, to POST as `application/ocsp-request`.
    pub fn request_der(&self) -> &[u8] {
        &self.der
    }

    /// Parses and checks a DER `OCSPResponse` at time `now`.
    pub fn check(&self, response: &[u8], now: Timestamp) -> Result<OcspAnswer, OcspClientError> {
        let resp = asn1::read_single(response, SEQUENCE, "OCSPResponse is not a SEQUENCE")?;
        let mut r = resp.reader();
        let status = r.read_tag(ENUMERATED, "no responseStatus")?;
        if status.value != [0] {
            return Err(OcspClientError::Refused(
                status.value.first().copied().unwrap_or(0xff),
            ));
        }
        let bytes = r.read_tag(ctx(0), "no responseBytes")?;
        r.finish("trailing data in OCSPResponse")?;
        let bytes = asn1::read_single(bytes.value, SEQUENCE, "bad ResponseBytes")?;
        let mut br = bytes.reader();
        if br.read_tag(asn1::OID, "bad responseType")?.raw != oid::OCSP_BASIC {
            return Err(OcspClientError::Malformed("not a basic OCSP response"));
        }
        let basic = br.read_tag(OCTET_STRING, "bad response")?;
        let basic = asn1::read_single(basic.value, SEQUENCE, "bad BasicOCSPResponse")?;
        let mut b = basic.reader();
        let data = b.read_tag(SEQUENCE, "no tbsResponseData")?;
        let sig_alg = b.read_tag(SEQUENCE, "no signatureAlgorithm")?;
        let signature = asn1::bit_string_bytes(&b.read_tag(BIT_STRING, "no signature")?)?;
        let certs = b.read_optional(ctx(0))?;
        b.finish("trailing data in BasicOCSPResponse")?;

        let delegated = self.check_signature(data.raw, sig_alg.raw, signature, certs, now)?;

        let mut d = data.reader();
        if let Some(v) = d.read_optional(ctx(0))?
            && asn1::read_single(v.value, INTEGER, "bad version")?.value != [0]
        {
            return Err(OcspClientError::Malformed("unknown version"));
        }
        let _responder_id = d.read()?;
        let produced_at = generalized_time(d.read_tag(asn1::GENERALIZED_TIME, "no producedAt")?)?;
        let responses = d.read_tag(SEQUENCE, "no responses")?;
        let extensions = d.read_optional(ctx(1))?;
        d.finish("trailing data in ResponseData")?;

        if let (Some(sent), Some(exts)) = (&self.nonce, extensions)
            && let Some(echoed) = find_extension(exts.value, oid::OCSP_NONCE)?
            && echoed != sent.as_slice()
        {
            return Err(OcspClientError::NonceMismatch);
        }

        let mut rr = responses.reader();
        while !rr.is_empty() {
            let single = rr.read_tag(SEQUENCE, "bad SingleResponse")?;
            let mut s = single.reader();
            let id = s.read_tag(SEQUENCE, "no CertID")?;
            let id = crate::ocsp::parse_cert_id(id.value)
                .map_err(|_| OcspClientError::Malformed("bad CertID"))?;
            if !(self.ids.matches(&id) && id.serial() == self.cert_id.serial()) {
                continue;
            }
            let status = s.read()?;
            let status = match status.tag {
                t if t == ctx_prim(0) => OcspStatus::Good,
                t if t == ctx(1) => {
                    let mut ri = status.reader();
                    let at = generalized_time(ri.read_tag(asn1::GENERALIZED_TIME, "no time")?)?;
                    let reason = match ri.read_optional(ctx(0))? {
                        Some(r) => {
                            let e = asn1::read_single(r.value, ENUMERATED, "bad reason")?;
                            e.value.first().copied()
                        }
                        None => None,
                    };
                    OcspStatus::Revoked { at, reason }
                }
                t if t == ctx_prim(2) => OcspStatus::Unknown,
                _ => return Err(OcspClientError::Malformed("bad certStatus")),
            };
            let this_update =
                generalized_time(s.read_tag(asn1::GENERALIZED_TIME, "no thisUpdate")?)?;
            let next_update = match s.read_optional(ctx(0))? {
                Some(n) => Some(generalized_time(asn1::read_single(
                    n.value,
                    asn1::GENERALIZED_TIME,
                    "bad nextUpdate",
                )?)?),
                None => None,
            };
            if this_update > now + SKEW || next_update.is_some_and(|n| n < now - SKEW) {
                return Err(OcspClientError::Stale);
            }
            return Ok(OcspAnswer {
                status,
                produced_at,
                this_update,
                next_update,
                delegated,
            });
        }
        Err(OcspClientError::WrongCertificate)
    }

    /// Whether the issuer signed `data`, or a responder certificate among `certs` that the
    /// issuer signed, holds id-kp-OCSPSigning and is valid at `now`. Returns "delegated".
    fn check_signature(
        &self,
        data: &[u8],
        sig_alg: &[u8],
        signature: &[u8],
        certs: Option<asn1::Tlv<'_>>,
        now: Timestamp,
    ) -> Result<bool, OcspClientError> {
        if self
            .issuer_key
            .verify_signed(sig_alg, data, signature)
            .is_ok()
        {
            return Ok(false);
        }
        let Some(certs) = certs else {
            return Err(OcspClientError::BadSignature);
        };
        let list = asn1::read_single(certs.value, SEQUENCE, "bad certs")?;
        let mut lr = list.reader();
        while !lr.is_empty() {
            let cert = lr.read_tag(SEQUENCE, "bad responder certificate")?;
            let Ok(parsed) = ParsedCert::parse(cert.raw) else {
                continue;
            };
            let issued_by_issuer = parsed.issuer == self.issuer_subject.as_slice()
                && self
                    .issuer_key
                    .verify_signed(parsed.sig_alg, parsed.tbs, parsed.signature)
                    .is_ok();
            let current = parsed.not_before <= now + SKEW && now - SKEW <= parsed.not_after;
            if !(issued_by_issuer && parsed.ocsp_signing && current) {
                continue;
            }
            let key = PublicKey::from_spki_der(parsed.spki)
                .map_err(|_: CsrError| OcspClientError::BadSignature)?;
            if key.verify_signed(sig_alg, data, signature).is_ok() {
                return Ok(true);
            }
        }
        Err(OcspClientError::BadSignature)
    }
}

/// The value (inside its OCTET STRING) of an extension in an `Extensions` `[n]` content.
fn find_extension<'a>(
    explicit_content: &'a [u8],
    id: &[u8],
) -> Result<Option<&'a [u8]>, OcspClientError> {
    let seq = asn1::read_single(explicit_content, SEQUENCE, "bad extensions")?;
    let mut er = seq.reader();
    while !er.is_empty() {
        let ext = er.read_tag(SEQUENCE, "bad extension")?;
        let mut x = ext.reader();
        let ext_id = x.read_tag(asn1::OID, "bad extension id")?;
        x.read_optional(asn1::BOOLEAN)?;
        let value = x.read_tag(OCTET_STRING, "bad extension value")?;
        if ext_id.raw == id {
            return Ok(Some(value.value));
        }
    }
    Ok(None)
}

/// The parts of a certificate a responder check needs.
struct ParsedCert<'a> {
    tbs: &'a [u8],
    sig_alg: &'a [u8],
    signature: &'a [u8],
    issuer: &'a [u8],
    spki: &'a [u8],
    not_before: Timestamp,
    not_after: Timestamp,
    ocsp_signing: bool,
}

impl<'a> ParsedCert<'a> {
    fn parse(der: &'a [u8]) -> Result<ParsedCert<'a>, OcspClientError> {
        let cert = asn1::read_single(der, SEQUENCE, "not a certificate")?;
        let mut r = cert.reader();
        let tbs = r.read_tag(SEQUENCE, "no TBSCertificate")?;
        let sig_alg = r.read_tag(SEQUENCE, "no signatureAlgorithm")?.raw;
        let signature = asn1::bit_string_bytes(&r.read_tag(BIT_STRING, "no signature")?)?;
        let mut t = tbs.reader();
        t.read_optional(ctx(0))?;
        t.read_tag(INTEGER, "no serial")?;
        t.read_tag(SEQUENCE, "no signature")?;
        let issuer = t.read_tag(SEQUENCE, "no issuer")?.raw;
        let validity = t.read_tag(SEQUENCE, "no validity")?;
        let mut v = validity.reader();
        let not_before = any_time(v.read()?)?;
        let not_after = any_time(v.read()?)?;
        t.read_tag(SEQUENCE, "no subject")?;
        let spki = t.read_tag(SEQUENCE, "no public key")?.raw;
        let mut ocsp_signing = false;
        while let Some(tag) = t.peek_tag() {
            let el = t.read()?;
            if tag != ctx(3) {
                continue;
            }
            if let Some(eku) = find_extension(el.value, oid::EXT_KEY_USAGE)? {
                let list = asn1::read_single(eku, SEQUENCE, "bad extKeyUsage")?;
                let mut l = list.reader();
                while !l.is_empty() {
                    if l.read_tag(asn1::OID, "bad purpose")?.raw == oid::KP_OCSP_SIGNING {
                        ocsp_signing = true;
                    }
                }
            }
        }
        Ok(ParsedCert {
            tbs: tbs.raw,
            sig_alg,
            signature,
            issuer,
            spki,
            not_before,
            not_after,
            ocsp_signing,
        })
    }
}

fn digits(s: &[u8]) -> Option<i32> {
    s.iter().try_fold(0i32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
    })
}

/// `YYYYMMDDHHMMSS[.f]Z`.
fn generalized_time(t: asn1::Tlv<'_>) -> Result<Timestamp, OcspClientError> {
    parse_time(t.value, 4)
}

/// UTCTime (`YYMMDDHHMMSSZ`, 1950–2049) or GeneralizedTime.
fn any_time(t: asn1::Tlv<'_>) -> Result<Timestamp, OcspClientError> {
    match t.tag {
        asn1::UTC_TIME => parse_time(t.value, 2),
        asn1::GENERALIZED_TIME => parse_time(t.value, 4),
        _ => Err(OcspClientError::Malformed("bad time")),
    }
}

fn parse_time(v: &[u8], year_len: usize) -> Result<Timestamp, OcspClientError> {
    let bad = OcspClientError::Malformed("bad time");
    if v.len() < year_len + 11 || v.last() != Some(&b'Z') {
        return Err(bad);
    }
    let mut year = digits(&v[..year_len]).ok_or(bad.clone())?;
    if year_len == 2 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let field = |i: usize| digits(&v[year_len + 2 * i..year_len + 2 * i + 2]).ok_or(bad.clone());
    let dt = jiff::civil::DateTime::new(
        i16::try_from(year).map_err(|_| bad.clone())?,
        field(0)? as i8,
        field(1)? as i8,
        field(2)? as i8,
        field(3)? as i8,
        field(4)? as i8,
        0,
    )
    .map_err(|_| bad.clone())?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        let t = |tag, s: &[u8]| {
            any_time(asn1::Tlv {
                tag,
                value: s,
                raw: s,
            })
        };
        assert_eq!(
            t(asn1::GENERALIZED_TIME, b"20500101000000Z").unwrap(),
            Timestamp::from_second(2_524_608_000).unwrap()
        );
        assert_eq!(
            t(asn1::UTC_TIME, b"491231235959Z").unwrap(),
            Timestamp::from_second(2_524_607_999).unwrap()
        );
        assert!(t(asn1::UTC_TIME, b"4912312359Z").is_err());
        assert!(t(asn1::UTC_TIME, b"49123123595xZ").is_err());
    }
}
