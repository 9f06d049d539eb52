//! Certificate revocation lists (RFC 5280 §5).
//!
//! The list is written straight into one buffer, entry after entry, with no value per
//! entry on the heap: a million entries take well under a second (see the README).

use jiff::Timestamp;
use serde::Serialize;

use crate::asn1::{
    self, ENUMERATED, INTEGER, SEQUENCE, ctx, ctx_prim, push_header, push_time, time_len, tlv_len,
};
use crate::ca::Authority;
use crate::serial::Serial;
use crate::{CertError, oid};

/// CRLReason (RFC 5280 §5.3.1). `certificateHold`/`removeFromCRL` are not offered:
/// certdesk does not suspend certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RevocationReason {
    /// Written without a reasonCode extension, as RFC 5280 recommends.
    Unspecified,
    KeyCompromise,
    #[serde(rename = "cACompromise")]
    CaCompromise,
    AffiliationChanged,
    /// 信息变更: replaced by a certificate with the new subject data.
    Superseded,
    /// 注销 / 补办: the holder no longer uses the key.
    CessationOfOperation,
    PrivilegeWithdrawn,
}

impl RevocationReason {
    /// The CRLReason code.
    pub fn code(self) -> u8 {
        match self {
            RevocationReason::Unspecified => 0,
            RevocationReason::KeyCompromise => 1,
            RevocationReason::CaCompromise => 2,
            RevocationReason::AffiliationChanged => 3,
            RevocationReason::Superseded => 4,
            RevocationReason::CessationOfOperation => 5,
            RevocationReason::PrivilegeWithdrawn => 9,
        }
    }

    /// The reasonCode entry extension (`Extensions` SEQUENCE; 2.5.29.21 is `55 1d 15`), or
    /// nothing for unspecified.
    fn entry_extensions(self) -> Option<[u8; 14]> {
        if self == RevocationReason::Unspecified {
            return None;
        }
        Some([
            SEQUENCE,
            12,
            SEQUENCE,
            10,
            0x06,
            0x03,
            0x55,
            0x1d,
            0x15,
            0x04,
            0x03,
            ENUMERATED,
            1,
            self.code(),
        ])
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    pub serial: Serial,
    pub revoked_at: Timestamp,
    pub reason: RevocationReason,
}

/// The CRL's own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrlInfo {
    /// Monotonically increasing cRLNumber.
    pub number: u64,
    pub this_update: Timestamp,
    /// The app uses `this_update` + 7 days.
    pub next_update: Timestamp,
}

impl Authority {
    /// Writes and signs a complete CRL (DER) with the given entries, in the order given.
    pub fn crl<I>(&self, info: &CrlInfo, entries: I) -> Result<Vec<u8>, CertError>
    where
        I: IntoIterator<Item = Revoked>,
    {
        if info.next_update <= info.this_update {
            return Err(CertError::BadValidity);
        }
        let entries = entries.into_iter();
        // Entries: SEQUENCE { serial INTEGER, revocationDate Time, crlEntryExtensions }.
        let mut body = Vec::with_capacity(entries.size_hint().0 * 44);
        for e in entries {
            let serial = e.serial.as_der_content();
            let ext = e.reason.entry_extensions();
            let len = tlv_len(serial.len()) + time_len(e.revoked_at) + ext.map_or(0, |x| x.len());
            push_header(&mut body, SEQUENCE, len);
            push_header(&mut body, INTEGER, serial.len());
            body.extend_from_slice(serial);
            push_time(&mut body, e.revoked_at);
            if let Some(x) = ext {
                body.extend_from_slice(&x);
            }
        }

        let cert = self.certificate();
        let crl_extensions = asn1::tlv(
            ctx(0),
            &[&asn1::seq(&[
                &crate::cert::extension(
                    oid::AUTHORITY_KEY_ID,
                    false,
                    &asn1::seq(&[&asn1::tlv(ctx_prim(0), &[cert.key_id()])]),
                ),
                &crate::cert::extension(oid::CRL_NUMBER, false, &asn1::uint(info.number)),
            ])],
        );
        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(&[INTEGER, 1, 1]); // v2
        head.extend_from_slice(self.signer().algorithm().algorithm_identifier());
        head.extend_from_slice(cert.subject_der());
        push_time(&mut head, info.this_update);
        push_time(&mut head, info.next_update);

        // "When there are no revoked certificates, the revoked certificates list MUST be absent."
        let revoked_len = if body.is_empty() {
            0
        } else {
            tlv_len(body.len())
        };
        let tbs_len = head.len() + revoked_len + crl_extensions.len();
        let mut tbs = Vec::with_capacity(tlv_len(tbs_len));
        push_header(&mut tbs, SEQUENCE, tbs_len);
        tbs.extend_from_slice(&head);
        if !body.is_empty() {
            push_header(&mut tbs, SEQUENCE, body.len());
            tbs.extend_from_slice(&body);
        }
        drop(body);
        tbs.extend_from_slice(&crl_extensions);
        self.sign_tbs(&tbs)
    }
}
