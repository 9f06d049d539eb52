//! A minimal DER writer and reader.
//!
//! Everything this crate produces (certificates, CRLs, OCSP responses) goes through the
//! writer here, so that the three CA algorithms share one code path and a million-entry
//! CRL is written into one buffer; everything it reads from the network (CSRs, OCSP
//! requests) goes through the reader, which borrows from the input and allocates nothing.

use jiff::Timestamp;

pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const ENUMERATED: u8 = 0x0a;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const PRINTABLE_STRING: u8 = 0x13;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;

/// Context-specific, constructed `[n]` (EXPLICIT tagging, or IMPLICIT of a constructed type).
pub(crate) const fn ctx(n: u8) -> u8 {
    0xa0 | n
}

/// Context-specific, primitive `[n]` (IMPLICIT tagging of a primitive type).
pub(crate) const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// The number of bytes a DER length takes.
pub(crate) const fn len_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xff {
        2
    } else if len <= 0xffff {
        3
    } else if len <= 0xff_ffff {
        4
    } else {
        5
    }
}

/// The full size of a TLV whose content is `len` bytes (single-byte tags only).
pub(crate) const fn tlv_len(len: usize) -> usize {
    1 + len_len(len) + len
}

pub(crate) fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let n = len_len(len) - 1;
        out.push(0x80 | n as u8);
        for i in (0..n).rev() {
            out.push((len >> (8 * i)) as u8);
        }
    }
}

/// One TLV built from already-encoded parts.
pub(crate) fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(tlv_len(len));
    push_header(&mut out, tag, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, parts)
}

pub(crate) fn octet_string(content: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, &[content])
}

/// A BIT STRING with no unused bits.
pub(crate) fn bit_string(content: &[u8]) -> Vec<u8> {
    tlv(BIT_STRING, &[&[0], content])
}

pub(crate) fn utf8(s: &str) -> Vec<u8> {
    tlv(UTF8_STRING, &[s.as_bytes()])
}

pub(crate) const TRUE: &[u8] = &[BOOLEAN, 1, 0xff];

/// A non-negative INTEGER from a u64.
pub(crate) fn uint(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut content = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    tlv(INTEGER, &[&content])
}

/// Encodes a dotted object identifier (`1.3.6.1.4.1.99999.1.1`) as a DER TLV.
pub(crate) fn oid_from_dotted(dotted: &str) -> Option<Vec<u8>> {
    let mut arcs = dotted.split('.').map(|a| {
        if a.is_empty() || (a.len() > 1 && a.starts_with('0')) {
            None
        } else {
            a.parse::<u64>().ok()
        }
    });
    let first = arcs.next()??;
    let second = arcs.next()??;
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut content = Vec::new();
    let mut push_arc = |mut v: u64| {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = (v & 0x7f) as u8 | if i == tmp.len() - 1 { 0 } else { 0x80 };
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        content.extend_from_slice(&tmp[i..]);
    };
    push_arc(first.checked_mul(40)?.checked_add(second)?);
    for arc in arcs {
        push_arc(arc?);
    }
    Some(tlv(OID, &[&content]))
}

/// Civil date and time in UTC, from Unix seconds (Howard Hinnant's `civil_from_days`).
/// Hand-rolled because the CRL writer formats a million of these.
pub(crate) fn civil(unix: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

fn push_digits(out: &mut Vec<u8>, v: u32, n: usize) {
    let mut buf = [b'0'; 4];
    let mut v = v;
    for i in (0..n).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..n]);
}

/// The encoded size of [`push_time`]'s output: UTCTime (15) through 2049, then
/// GeneralizedTime (17), as RFC 5280 §4.1.2.5 requires.
pub(crate) fn time_len(t: Timestamp) -> usize {
    if civil(t.as_second()).0 < 2050 {
        15
    } else {
        17
    }
}

/// Pushes a validity-style time: UTCTime through 2049, GeneralizedTime from 2050.
pub(crate) fn push_time(out: &mut Vec<u8>, t: Timestamp) {
    let (y, mo, d, h, mi, s) = civil(t.as_second());
    let y = y.clamp(0, 9999) as u32;
    if (1950..2050).contains(&y) {
        out.extend_from_slice(&[UTC_TIME, 13]);
        push_digits(out, y % 100, 2);
    } else {
        out.extend_from_slice(&[GENERALIZED_TIME, 15]);
        push_digits(out, y, 4);
    }
    for v in [mo, d, h, mi, s] {
        push_digits(out, v, 2);
    }
    out.push(b'Z');
}

/// Pushes a GeneralizedTime (OCSP uses it everywhere, whatever the year).
pub(crate) fn push_generalized_time(out: &mut Vec<u8>, t: Timestamp) {
    let (y, mo, d, h, mi, s) = civil(t.as_second());
    out.extend_from_slice(&[GENERALIZED_TIME, 15]);
    push_digits(out, y.clamp(0, 9999) as u32, 4);
    for v in [mo, d, h, mi, s] {
        push_digits(out, v, 2);
    }
    out.push(b'Z');
}

pub(crate) fn time(t: Timestamp) -> Vec<u8> {
    let mut out = Vec::with_capacity(17);
    push_time(&mut out, t);
    out
}

pub(crate) fn generalized_time(t: Timestamp) -> Vec<u8> {
    let mut out = Vec::with_capacity(17);
    push_generalized_time(&mut out, t);
    out
}

/// Why a DER input was refused, in words fit for an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

/// One element read from DER input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Tag, length and content together.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    pub fn expect(self, tag: u8, what: &'static str) -> Result<Self, Malformed> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Malformed(what))
        }
    }
}

/// A cursor over a run of DER elements (the content of a SEQUENCE, or a whole input).
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Reader { input }
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.input.first().copied()
    }

    /// Reads one element; definite, minimal lengths only (DER), single-byte tags only.
    pub fn read(&mut self) -> Result<Tlv<'a>, Malformed> {
        let input = self.input;
        let (&tag, rest) = input.split_first().ok_or(Malformed("truncated"))?;
        if tag & 0x1f == 0x1f {
            return Err(Malformed("multi-byte tag"));
        }
        let (&first, rest) = rest.split_first().ok_or(Malformed("truncated"))?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(Malformed("bad length"));
            }
            let (bytes, rest) = rest.split_at(n);
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if bytes[0] == 0 || len < 0x80 {
                return Err(Malformed("non-minimal length"));
            }
            (len, rest)
        };
        if rest.len() < len {
            return Err(Malformed("truncated"));
        }
        let header = input.len() - rest.len();
        let raw = &input[..header + len];
        self.input = &rest[len..];
        Ok(Tlv {
            tag,
            value: &rest[..len],
            raw,
        })
    }

    pub fn read_tag(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Malformed> {
        self.read()?.expect(tag, what)
    }

    /// Reads an element if it carries `tag`, else leaves the input alone.
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, Malformed> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self, what: &'static str) -> Result<(), Malformed> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(Malformed(what))
        }
    }
}

/// Reads exactly one element spanning all of `input`.
pub(crate) fn read_single<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, Malformed> {
    let mut r = Reader::new(input);
    let t = r.read_tag(tag, what)?;
    r.finish("trailing data")?;
    Ok(t)
}

/// The content of a BIT STRING with no unused bits (keys and signatures).
pub(crate) fn bit_string_bytes<'a>(t: &Tlv<'a>) -> Result<&'a [u8], Malformed> {
    match t.value.split_first() {
        Some((0, rest)) if t.tag == BIT_STRING => Ok(rest),
        _ => Err(Malformed("bad BIT STRING")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_matches_jiff() {
        for secs in [
            0i64,
            951_782_400,
            1_700_000_000,
            2_524_607_999,
            2_524_608_000,
            4_102_444_800,
        ] {
            let ts = Timestamp::from_second(secs).unwrap();
            let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            let (y, mo, d, h, mi, s) = civil(secs);
            assert_eq!(
                (y, mo, d, h, mi, s),
                (
                    i64::from(dt.year()),
                    dt.month() as u32,
                    dt.day() as u32,
                    dt.hour() as u32,
                    dt.minute() as u32,
                    dt.second() as u32
                )
            );
        }
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        let t = Timestamp::from_second(2_524_607_999).unwrap(); // 2049-12-31T23:59:59Z
        assert_eq!(time(t), b"\x17\x0d491231235959Z");
        let t = Timestamp::from_second(2_524_608_000).unwrap();
        assert_eq!(time(t), b"\x18\x0f20500101000000Z");
        assert_eq!(time_len(t), 17);
    }

    #[test]
    fn oids_encode() {
        assert_eq!(
            oid_from_dotted("2.5.29.32").unwrap(),
            crate::oid::CERTIFICATE_POLICIES
        );
        assert_eq!(
            oid_from_dotted("1.3.6.1.5.5.7.3.36").unwrap(),
            crate::oid::KP_DOCUMENT_SIGNING
        );
        assert!(oid_from_dotted("1.3.").is_none());
        assert!(oid_from_dotted("1.40.1").is_none());
        assert!(oid_from_dotted("3.1").is_none());
        assert!(oid_from_dotted("1.02").is_none());
    }

    #[test]
    fn lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 20_000_000] {
            let mut out = Vec::new();
            push_header(&mut out, OCTET_STRING, len);
            assert_eq!(out.len(), tlv_len(len) - len);
            out.resize(tlv_len(len), 0);
            let t = read_single(&out, OCTET_STRING, "x").unwrap();
            assert_eq!(t.value.len(), len);
        }
        assert_eq!(uint(0), [2, 1, 0]);
        assert_eq!(uint(128), [2, 2, 0, 128]);
        assert_eq!(uint(65_537), [2, 3, 1, 0, 1]);
    }

    #[test]
    fn reader_refuses_bad_lengths() {
        assert!(
            Reader::new(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5])
                .read()
                .is_err()
        );
        assert!(Reader::new(&[0x30, 0x05, 1]).read().is_err());
        assert!(Reader::new(&[0x30, 0x80]).read().is_err());
        assert!(Reader::new(&[0x1f, 0x01, 0x00]).read().is_err());
    }
}
