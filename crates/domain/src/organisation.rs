//! Organisations (主体): their type, their credit code, their members.

use std::fmt;

use crate::Reason;
use crate::ident::Uscc;
use crate::text::Line;

/// 采购人 / 供应商 / 代理机构.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgType {
    Purchaser,
    Supplier,
    Agency,
}

impl OrgType {
    pub const ALL: [OrgType; 3] = [OrgType::Purchaser, OrgType::Supplier, OrgType::Agency];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgType::Purchaser => "purchaser",
            OrgType::Supplier => "supplier",
            OrgType::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Result<OrgType, OrgTypeError> {
        OrgType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(OrgTypeError)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown organisation type")]
pub struct OrgTypeError;

impl Reason for OrgTypeError {
    fn key(&self) -> &'static str {
        "org_type.unknown"
    }
}

/// A member's place in an organisation: 单位管理员 manages people and acts for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<MemberRole, MemberRoleError> {
        match s {
            "admin" => Ok(MemberRole::Admin),
            "member" => Ok(MemberRole::Member),
            _ => Err(MemberRoleError),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown member role")]
pub struct MemberRoleError;

impl Reason for MemberRoleError {
    fn key(&self) -> &'static str {
        "member_role.unknown"
    }
}

/// The code an organisation is known by: its USCC, or — for a body that has none
/// (seed 001: 有社会信用代码证 ○ 无) — a stand-in code that certdesk generates.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum CreditCode {
    Uscc(Uscc),
    StandIn(StandInCode),
}

impl CreditCode {
    pub fn as_str(&self) -> &str {
        match self {
            CreditCode::Uscc(u) => u.as_str(),
            CreditCode::StandIn(s) => s.as_str(),
        }
    }

    pub fn is_uscc(&self) -> bool {
        matches!(self, CreditCode::Uscc(_))
    }

    /// Reads a stored code back: a stand-in if it has the stand-in shape, a USCC otherwise.
    pub fn parse_stored(s: &str) -> Option<CreditCode> {
        StandInCode::parse(s)
            .map(CreditCode::StandIn)
            .or_else(|| Uscc::parse(s).ok().map(CreditCode::Uscc))
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stand-in for a missing USCC: `ZCD` and 15 digits, 18 characters like a USCC
/// so it fits the same column and forms, but starting with `Z`, a letter GB 32100
/// never uses — so it can never be mistaken for, or collide with, a real code.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct StandInCode(String);

impl StandInCode {
    pub const PREFIX: &'static str = "ZCD";

    /// Builds a code from 15 digits' worth of randomness supplied by the caller.
    pub fn from_random(random: u64) -> StandInCode {
        StandInCode(format!(
            "{}{:015}",
            Self::PREFIX,
            random % 1_000_000_000_000_000
        ))
    }

    pub fn parse(s: &str) -> Option<StandInCode> {
        let digits = s.strip_prefix(Self::PREFIX)?;
        (digits.len() == 15 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| StandInCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 机构名称.
pub type OrgName = Line<100>;
/// 注册机关 (the registration authority on the business licence), 所属区划, legal representative.
pub type ShortText = Line<60>;
/// 地址.
pub type Address = Line<200>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn types_round_trip() {
        for t in OrgType::ALL {
            assert_eq!(OrgType::parse(t.as_str()), Ok(t));
        }
        assert!(OrgType::parse("bank").is_err());
        assert_eq!(MemberRole::parse("admin"), Ok(MemberRole::Admin));
        assert!(MemberRole::parse("owner").is_err());
    }

    proptest! {
        #[test]
        fn stand_in_codes_are_never_valid_usccs(random in any::<u64>()) {
            let code = StandInCode::from_random(random);
            prop_assert_eq!(code.as_str().len(), 18);
            prop_assert!(Uscc::parse(code.as_str()).is_err());
            prop_assert!(Uscc::parse(&code.as_str().to_lowercase()).is_err());
            prop_assert_eq!(
                CreditCode::parse_stored(code.as_str()),
                Some(CreditCode::StandIn(code.clone()))
            );
        }
    }

    #[test]
    fn stored_usccs_read_back() {
        let code = CreditCode::parse_stored("91350100M000100Y43");
        assert!(code.as_ref().is_some_and(CreditCode::is_uscc));
        assert_eq!(CreditCode::parse_stored("nonsense"), None);
    }
}
