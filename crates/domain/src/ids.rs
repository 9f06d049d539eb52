//! Typed identifiers: one per entity, so a `UserId` can never be passed where an
//! `OrganisationId` is meant. Stored as text (UUID v7, time-ordered).

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new identifier; time-ordered, so inserts stay local in indexes.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Result<Self, uuid::Error> {
                uuid::Uuid::parse_str(s).map(Self)
            }

            pub fn to_text(self) -> String {
                self.0.to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A person's account.
    UserId
);
id_type!(
    /// An organisation (主体): purchaser, supplier or agency.
    OrganisationId
);
id_type!(
    /// An entry in the audit log.
    AuditId
);
id_type!(
    /// An application (申请 / 订单); people see its [`crate::application::OrderNumber`].
    ApplicationId
);
id_type!(
    /// An entry of an application's 流程审批记录.
    EventId
);
id_type!(
    /// An uploaded 电子件.
    DocumentId
);
id_type!(
    /// A payment attempt (one QR code).
    PaymentId
);
id_type!(
    /// A refund asked of a payment provider.
    RefundId
);
id_type!(
    /// A notification from a payment provider that did not match its order, kept for finance.
    PaymentAlertId
);
id_type!(
    /// A service point (办理点).
    ServicePointId
);
id_type!(
    /// A linked trading platform (关联平台).
    PlatformId
);
id_type!(
    /// An in-app notification.
    NotificationId
);
id_type!(
    /// An e-mail in the outbox.
    MailId
);
id_type!(
    /// One of the CA's own certificates (root, issuing CA, OCSP responder).
    AuthorityId
);
id_type!(
    /// A certificate the CA issued.
    CertificateId
);
id_type!(
    /// An API key of a linked platform (互联互通).
    PlatformKeyId
);
id_type!(
    /// A personal API token (the USB-key tool signs in with one).
    ApiTokenId
);
id_type!(
    /// A certificate bound to an account (绑定CA).
    BindingId
);
id_type!(
    /// A one-time challenge signed with a certificate's key (证书登录, 绑定CA).
    ChallengeId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = UserId::new();
        assert_eq!(UserId::parse(&id.to_text()).ok(), Some(id));
        assert!(UserId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = OrganisationId::new();
        let b = OrganisationId::new();
        assert!(a < b);
    }
}
