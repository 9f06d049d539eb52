//! E-mail addresses, checked the practical way.

use std::fmt;

use crate::Reason;

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

/// An e-mail address that looks deliverable: one `@`, a plain local part and a domain
/// with a dot and a top-level label of at least 2 characters.
///
/// Not RFC 5322 (no quoted local parts, comments or IP literals): those are not what a
/// customer types, and the real test is the confirmation mail. The local part is kept as
/// typed (mailbox names can be case-sensitive); the domain is lower-cased.
/// Internationalised domains such as `例子.公司` are accepted.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("an e-mail address has at most 254 characters")]
    TooLong,
    #[error("an e-mail address needs an @")]
    MissingAt,
    #[error("an e-mail address has only one @")]
    MultipleAt,
    #[error("the part before the @ must be 1 to 64 characters without spaces")]
    LocalPart,
    #[error("the part after the @ is not a valid domain such as example.com")]
    Domain,
}

impl Reason for EmailError {
    fn key(&self) -> &'static str {
        match self {
            EmailError::Empty => "email.empty",
            EmailError::TooLong => "email.too_long",
            EmailError::MissingAt => "email.missing_at",
            EmailError::MultipleAt => "email.multiple_at",
            EmailError::LocalPart => "email.local_part",
            EmailError::Domain => "email.domain",
        }
    }
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.chars().count() <= MAX_LOCAL_LEN
        && !local.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= MAX_LABEL_LEN
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2 && tld_ok && labels.iter().all(|l| valid_label(l))
}

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = text.split_once('@').ok_or(EmailError::MissingAt)?;
        if domain.contains('@') {
            return Err(EmailError::MultipleAt);
        }
        if !valid_local(local) {
            return Err(EmailError::LocalPart);
        }
        let domain = domain.to_lowercase();
        if !valid_domain(&domain) {
            return Err(EmailError::Domain);
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::serde_as_parsed_str!(Email);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(input: &str) -> Result<String, EmailError> {
        Email::parse(input).map(Email::into_string)
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for address in [
            "zhang.san@example.com",
            "li+ca@mail.example.com.cn",
            "12345678@qq.com",
            "a@b.cn",
            "x_y-z@sub-domain.example.org",
            "张三@例子.公司",
        ] {
            assert_eq!(parsed(address), Ok(address.to_owned()), "{address}");
        }
    }

    #[test]
    fn lower_cases_only_the_domain_and_trims() {
        assert_eq!(
            parsed("  Zhang.San@Example.COM \n"),
            Ok("Zhang.San@example.com".to_owned())
        );
    }

    #[test]
    fn reports_each_rule() {
        assert_eq!(parsed(""), Err(EmailError::Empty));
        assert_eq!(parsed(" "), Err(EmailError::Empty));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(parsed(&long), Err(EmailError::TooLong));
        assert_eq!(parsed("zhang.example.com"), Err(EmailError::MissingAt));
        assert_eq!(parsed("zhang@@example.com"), Err(EmailError::MultipleAt));
        assert_eq!(parsed("a@b@example.com"), Err(EmailError::MultipleAt));
        assert_eq!(parsed("@example.com"), Err(EmailError::LocalPart));
        assert_eq!(parsed("zhang san@example.com"), Err(EmailError::LocalPart));
        assert_eq!(parsed("zhang\u{7}@example.com"), Err(EmailError::LocalPart));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(parsed(&long_local), Err(EmailError::LocalPart));
        for domain in [
            "",
            "example",
            "example.c",
            ".example.com",
            "example..com",
            "example.com.",
            "-example.com",
            "example-.com",
            "exa mple.com",
            "exa_mple.com",
            "1.2.3.4",
        ] {
            assert_eq!(
                parsed(&format!("zhang@{domain}")),
                Err(EmailError::Domain),
                "{domain}"
            );
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let local = "a".repeat(64);
        assert!(parsed(&format!("{local}@example.com")).is_ok());
        let label = "b".repeat(63);
        assert!(parsed(&format!("a@{label}.com")).is_ok());
        assert_eq!(parsed(&format!("a@{label}b.com")), Err(EmailError::Domain));
        let domain = format!("{}.com", vec!["c".repeat(60); 4].join("."));
        let address = format!("zhang1@{domain}");
        assert_eq!(address.len(), 254);
        assert!(parsed(&address).is_ok());
        assert_eq!(parsed(&format!("x{address}")), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn generated_addresses_parse(
            local in "[A-Za-z0-9._%+-]{1,64}",
            labels in prop::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..4),
            tld in "[a-z]{2,6}",
        ) {
            let address = format!("{local}@{}.{tld}", labels.join("."));
            prop_assert_eq!(parsed(&address), Ok(address.clone()));
        }

        #[test]
        fn parsing_is_idempotent(input in "\\PC{0,40}") {
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(parsed(email.as_str()), Ok(email.into_string()));
            }
        }
    }
}
