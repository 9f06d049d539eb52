//! Accounts: roles, passwords, names.

use std::fmt;

use crate::Reason;

/// What a signed-in person may do in certdesk (DESIGN.md §1). Organisation
/// admins (单位管理员) are applicants with an admin membership, not a role of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Applicant,
    Reviewer,
    Operator,
    Finance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Applicant,
        Role::Reviewer,
        Role::Operator,
        Role::Finance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Reviewer => "reviewer",
            Role::Operator => "operator",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, RoleError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(RoleError)
    }

    /// Staff work for the service desk; applicants are its customers.
    pub fn is_staff(self) -> bool {
        self != Role::Applicant
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role")]
pub struct RoleError;

impl Reason for RoleError {
    fn key(&self) -> &'static str {
        "role.unknown"
    }
}

/// A password that meets the policy. Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password is shorter than {MIN_PASSWORD} characters")]
    TooShort,
    #[error("password is longer than {MAX_PASSWORD} characters")]
    TooLong,
    #[error("password needs both letters and digits")]
    TooSimple,
}

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

impl Reason for PasswordError {
    fn key(&self) -> &'static str {
        match self {
            PasswordError::TooShort => "password.too_short",
            PasswordError::TooLong => "password.too_long",
            PasswordError::TooSimple => "password.too_simple",
        }
    }
}

impl Password {
    /// Passwords are taken exactly as typed: no trimming, since spaces may be meant.
    pub fn parse(s: &str) -> Result<Password, PasswordError> {
        let n = s.chars().count();
        if n < MIN_PASSWORD {
            return Err(PasswordError::TooShort);
        }
        if n > MAX_PASSWORD {
            return Err(PasswordError::TooLong);
        }
        let letters = s.chars().any(char::is_alphabetic);
        let digits = s.chars().any(|c| c.is_ascii_digit());
        if !(letters && digits) {
            return Err(PasswordError::TooSimple);
        }
        Ok(Password(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// What a USB-key signs to answer a certificate challenge (证书登录, 绑定CA): a fixed
/// preamble, so that the signature can never be taken for one over a document, then the
/// purpose, the one-time code and the server's nonce. The server and the tool both build
/// it here.
pub fn challenge_message(purpose: &str, code: &str, nonce: &str) -> String {
    format!("certdesk certificate challenge v1\npurpose: {purpose}\ncode: {code}\nnonce: {nonce}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(Role::parse("root"), Err(RoleError));
        assert!(!Role::Applicant.is_staff());
        assert!(Role::Reviewer.is_staff());
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            Password::parse("abc123").err(),
            Some(PasswordError::TooShort)
        );
        assert_eq!(
            Password::parse("abcdefghij").err(),
            Some(PasswordError::TooSimple)
        );
        assert_eq!(
            Password::parse("1234567890").err(),
            Some(PasswordError::TooSimple)
        );
        assert!(Password::parse("密码password1").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret123").ok()),
            "Some(Password(***))"
        );
    }

    proptest! {
        #[test]
        fn long_enough_mixed_passwords_pass(letters in "[a-zA-Z]{4,40}", digits in "[0-9]{4,40}") {
            let pw = format!("{letters}{digits}");
            prop_assert_eq!(Password::parse(&pw).map(|p| p.expose().to_owned()), Ok(pw));
        }
    }
}
