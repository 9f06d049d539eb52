//! What producing (制证) does for each kind: which certificates are issued, for how
//! long, and which are revoked with what reason (DESIGN.md §2, issue 4 point 4).
//!
//! Pure rules; the app layer carries them out with the CA.

use jiff::{Timestamp, ToSpan, tz::TimeZone};

use super::Kind;
use super::text_enum;

text_enum! {
    /// Why a certificate was revoked (RFC 5280 CRLReason, the ones certdesk uses).
    pub enum RevocationReason / RevocationReasonError ("revocation_reason.unknown") {
        /// No reason given (staff revocation).
        Unspecified => "unspecified",
        /// 补办 of a lost key: whoever finds it must not sign.
        KeyCompromise => "key_compromise",
        /// The holder left the organisation.
        AffiliationChanged => "affiliation_changed",
        /// 补办 of a damaged key, or 信息变更: a new certificate replaces it.
        Superseded => "superseded",
        /// 注销: the holder no longer needs it.
        CessationOfOperation => "cessation_of_operation",
    }
}

text_enum! {
    /// 补办: what happened to the key.
    pub enum ReplaceCause / ReplaceCauseError ("replace_cause.unknown") {
        /// 遗失: the key is lost.
        Lost => "lost",
        /// 损坏: the key is damaged (or its PIN is locked).
        Damaged => "damaged",
    }
}

/// The validity of a certificate to issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// What production does for one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// 新办: `count` new certificates, each on its own key.
    IssueNew { count: u32, validity: Validity },
    /// 延期 / 年检: a new certificate for the same subject, valid longer; the old one
    /// stays valid until it expires.
    Extend { validity: Validity },
    /// 补办 / 信息变更: the old certificate is revoked and a new one issued (same subject
    /// for 补办, the new data for 信息变更), running to the old one's end.
    Reissue {
        revoke: RevocationReason,
        validity: Validity,
    },
    /// 注销: the old certificate is revoked; nothing is issued.
    Revoke { revoke: RevocationReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Every kind but 新办 needs the certificate concerned.
    #[error("the certificate concerned is needed")]
    NoCertificate,
    /// 补办 needs to know whether the key was lost or damaged.
    #[error("补办 needs the cause (lost or damaged)")]
    NoCause,
    /// 信息变更 of a certificate that has already expired: apply for 新办 instead.
    #[error("the certificate has expired")]
    Expired,
    #[error("the validity is out of range")]
    OutOfRange,
}

impl crate::Reason for PlanError {
    fn key(&self) -> &'static str {
        match self {
            PlanError::NoCertificate => "production.no_certificate",
            PlanError::NoCause => "production.no_cause",
            PlanError::Expired => "production.expired",
            PlanError::OutOfRange => "production.out_of_range",
        }
    }
}

/// What the order asks for, as production needs it.
#[derive(Clone, Copy, Debug)]
pub struct Order {
    pub kind: Kind,
    pub quantity: u32,
    /// Years paid for (新办, 延期); the other kinds are one year or none.
    pub years: u32,
    /// 补办 only.
    pub cause: Option<ReplaceCause>,
}

/// Years are added in China's calendar (a certificate issued on 29 Feb runs to 28 Feb).
fn plus_years(t: Timestamp, years: u32) -> Result<Timestamp, PlanError> {
    let zone = TimeZone::fixed(jiff::tz::offset(8));
    t.to_zoned(zone)
        .checked_add(i64::from(years).years())
        .map(|z| z.timestamp())
        .map_err(|_| PlanError::OutOfRange)
}

/// The plan for `order` at `now`; `existing_not_after` is the expiry of the
/// certificate concerned (every kind but 新办).
///
/// - 新办: from now, for the years paid.
/// - 延期: from now to the old expiry plus the years paid, or, if it has expired,
///   from now for the years paid (validity extended from the old expiry).
/// - 年检: as 延期, by one year.
/// - 补办: the old certificate revoked (keyCompromise if the key was lost, superseded
///   if damaged); the new one runs to the old expiry, or for a year from now if the
///   old one has expired (the reviewer's 延期费用 pays for that year).
/// - 信息变更: the old revoked as superseded; the new runs to the old expiry. An
///   expired certificate cannot be changed.
/// - 注销: revoked, cessationOfOperation.
pub fn plan(
    order: &Order,
    now: Timestamp,
    existing_not_after: Option<Timestamp>,
) -> Result<Plan, PlanError> {
    let existing = || existing_not_after.ok_or(PlanError::NoCertificate);
    let from_now = |years: u32| -> Result<Validity, PlanError> {
        Ok(Validity {
            not_before: now,
            not_after: plus_years(now, years)?,
        })
    };
    let extend = |years: u32| -> Result<Validity, PlanError> {
        let old = existing()?;
        Ok(Validity {
            not_before: now,
            not_after: plus_years(old.max(now), years)?,
        })
    };
    Ok(match order.kind {
        Kind::New => Plan::IssueNew {
            count: order.quantity.max(1),
            validity: from_now(order.years.max(1))?,
        },
        Kind::Renew => Plan::Extend {
            validity: extend(order.years.max(1))?,
        },
        Kind::Inspect => Plan::Extend {
            validity: extend(1)?,
        },
        Kind::Replace => {
            let old = existing()?;
            let revoke = match order.cause.ok_or(PlanError::NoCause)? {
                ReplaceCause::Lost => RevocationReason::KeyCompromise,
                ReplaceCause::Damaged => RevocationReason::Superseded,
            };
            let validity = if old > now {
                Validity {
                    not_before: now,
                    not_after: old,
                }
            } else {
                from_now(1)?
            };
            Plan::Reissue { revoke, validity }
        }
        Kind::Change => {
            let old = existing()?;
            if old <= now {
                return Err(PlanError::Expired);
            }
            Plan::Reissue {
                revoke: RevocationReason::Superseded,
                validity: Validity {
                    not_before: now,
                    not_after: old,
                },
            }
        }
        Kind::Cancel => {
            existing()?;
            Plan::Revoke {
                revoke: RevocationReason::CessationOfOperation,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn order(kind: Kind) -> Order {
        Order {
            kind,
            quantity: 1,
            years: 1,
            cause: None,
        }
    }

    const NOW: &str = "2026-11-22T02:00:00Z";

    #[test]
    fn new_issues_the_quantity_for_the_years_paid() {
        let o = Order {
            quantity: 3,
            years: 2,
            ..order(Kind::New)
        };
        assert_eq!(
            plan(&o, at(NOW), None),
            Ok(Plan::IssueNew {
                count: 3,
                validity: Validity {
                    not_before: at(NOW),
                    not_after: at("2028-11-22T02:00:00Z"),
                }
            })
        );
    }

    #[test]
    fn renew_runs_from_the_old_expiry_or_from_now_when_expired() {
        let o = Order {
            years: 2,
            ..order(Kind::Renew)
        };
        let live = plan(&o, at(NOW), Some(at("2027-03-01T00:00:00Z")));
        assert_eq!(
            live,
            Ok(Plan::Extend {
                validity: Validity {
                    not_before: at(NOW),
                    not_after: at("2029-03-01T00:00:00Z"),
                }
            })
        );
        let expired = plan(&o, at(NOW), Some(at("2026-01-01T00:00:00Z")));
        assert_eq!(
            expired,
            Ok(Plan::Extend {
                validity: Validity {
                    not_before: at(NOW),
                    not_after: at("2028-11-22T02:00:00Z"),
                }
            })
        );
        assert_eq!(plan(&o, at(NOW), None), Err(PlanError::NoCertificate));
    }

    #[test]
    fn inspect_extends_by_one_year() {
        let p = plan(
            &order(Kind::Inspect),
            at(NOW),
            Some(at("2027-01-10T00:00:00Z")),
        );
        assert_eq!(
            p,
            Ok(Plan::Extend {
                validity: Validity {
                    not_before: at(NOW),
                    not_after: at("2028-01-10T00:00:00Z"),
                }
            })
        );
    }

    #[test]
    fn leap_day_plus_a_year_is_the_28th_of_february() {
        let o = order(Kind::New);
        let Ok(Plan::IssueNew { validity, .. }) = plan(&o, at("2028-02-28T17:00:00Z"), None) else {
            panic!("新办 plans an issue");
        };
        // 2028-02-29 01:00 in Beijing.
        assert_eq!(validity.not_after, at("2029-02-27T17:00:00Z"));
    }

    #[test]
    fn replace_revokes_by_cause_and_keeps_the_old_expiry() {
        let old = at("2027-06-30T16:00:00Z");
        for (cause, reason) in [
            (ReplaceCause::Lost, RevocationReason::KeyCompromise),
            (ReplaceCause::Damaged, RevocationReason::Superseded),
        ] {
            let o = Order {
                cause: Some(cause),
                ..order(Kind::Replace)
            };
            assert_eq!(
                plan(&o, at(NOW), Some(old)),
                Ok(Plan::Reissue {
                    revoke: reason,
                    validity: Validity {
                        not_before: at(NOW),
                        not_after: old,
                    }
                })
            );
        }
        let o = order(Kind::Replace);
        assert_eq!(plan(&o, at(NOW), Some(old)), Err(PlanError::NoCause));
        let expired = Order {
            cause: Some(ReplaceCause::Lost),
            ..order(Kind::Replace)
        };
        assert_eq!(
            plan(&expired, at(NOW), Some(at("2026-08-01T00:00:00Z"))),
            Ok(Plan::Reissue {
                revoke: RevocationReason::KeyCompromise,
                validity: Validity {
                    not_before: at(NOW),
                    not_after: at("2027-11-22T02:00:00Z"),
                }
            })
        );
    }

    #[test]
    fn change_supersedes_and_refuses_an_expired_certificate() {
        let old = at("2027-06-30T16:00:00Z");
        assert_eq!(
            plan(&order(Kind::Change), at(NOW), Some(old)),
            Ok(Plan::Reissue {
                revoke: RevocationReason::Superseded,
                validity: Validity {
                    not_before: at(NOW),
                    not_after: old,
                }
            })
        );
        assert_eq!(
            plan(&order(Kind::Change), at(NOW), Some(at(NOW))),
            Err(PlanError::Expired)
        );
    }

    #[test]
    fn cancel_only_revokes() {
        assert_eq!(
            plan(
                &order(Kind::Cancel),
                at(NOW),
                Some(at("2027-01-01T00:00:00Z"))
            ),
            Ok(Plan::Revoke {
                revoke: RevocationReason::CessationOfOperation
            })
        );
        assert_eq!(
            plan(&order(Kind::Cancel), at(NOW), None),
            Err(PlanError::NoCertificate)
        );
    }

    #[test]
    fn every_issued_validity_starts_now_and_ends_later() {
        let olds = [
            None,
            Some(at("2020-01-01T00:00:00Z")),
            Some(at(NOW)),
            Some(at("2030-01-01T00:00:00Z")),
        ];
        for kind in Kind::ALL {
            for cause in [None, Some(ReplaceCause::Lost), Some(ReplaceCause::Damaged)] {
                for years in 1..=5 {
                    for old in olds {
                        let o = Order {
                            kind: *kind,
                            quantity: 2,
                            years,
                            cause,
                        };
                        match plan(&o, at(NOW), old) {
                            Ok(
                                Plan::IssueNew { validity, .. }
                                | Plan::Extend { validity }
                                | Plan::Reissue { validity, .. },
                            ) => {
                                assert_eq!(validity.not_before, at(NOW));
                                assert!(validity.not_after > at(NOW), "{o:?} {old:?}");
                            }
                            Ok(Plan::Revoke { .. }) => assert_eq!(*kind, Kind::Cancel),
                            Err(_) => {}
                        }
                    }
                }
            }
        }
    }
}
