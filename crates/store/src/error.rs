use std::fmt;

/// A unique constraint that a write ran into: the database decides races,
/// and this names which rule was broken so the app can say so next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UserMobile,
    OrganisationCreditCode,
    IndividualIdNumber,
    /// The person is already an active member of an organisation.
    MembershipActive,
    /// The application already has an open payment (when opening one) or a paid
    /// one (when recording one): `payments_one_pending`, `payments_one_paid`.
    Payment,
    /// Another service point (办理点) has this name.
    ServicePointName,
    /// Another linked platform (关联平台) has this name.
    PlatformName,
    /// The CA has a root or issuing certificate already.
    CaExists,
    /// A certificate with this serial number exists (a 127-bit random serial: never in practice).
    CertificateSerial,
    /// The certificate is linked to this 关联平台 already.
    CertificatePlatform,
    /// The certificate is bound to an account already (one key, one account).
    CertificateBinding,
    /// A live challenge has this code already (draw another).
    ChallengeCode,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Constraint names on PostgreSQL and `table.column` as SQLite reports them.
const CONFLICTS: &[(&str, &str, Conflict)] = &[
    ("users_mobile_key", "users.mobile", Conflict::UserMobile),
    (
        "organisations_credit_code_key",
        "organisations.credit_code",
        Conflict::OrganisationCreditCode,
    ),
    (
        "individuals_id_number_key",
        "individuals.id_number",
        Conflict::IndividualIdNumber,
    ),
    (
        "memberships_active_user",
        "memberships.user_id",
        Conflict::MembershipActive,
    ),
    // SQLite names only the column of these partial indexes; which one was hit
    // follows from what the caller was doing (opening a payment, or recording one).
    (
        "payments_one_pending",
        "payments.application_id",
        Conflict::Payment,
    ),
    (
        "payments_one_paid",
        "payments.application_id",
        Conflict::Payment,
    ),
    (
        "service_points_name_key",
        "service_points.name",
        Conflict::ServicePointName,
    ),
    (
        "linked_platforms_name_key",
        "linked_platforms.name",
        Conflict::PlatformName,
    ),
    (
        "ca_authorities_one_ca",
        "ca_authorities.role",
        Conflict::CaExists,
    ),
    (
        "certificates_serial_key",
        "certificates.serial",
        Conflict::CertificateSerial,
    ),
    (
        "certificate_platforms_live",
        "certificate_platforms.certificate_id",
        Conflict::CertificatePlatform,
    ),
    (
        "certificate_bindings_one_account",
        "certificate_bindings.certificate_id",
        Conflict::CertificateBinding,
    ),
    (
        "certificate_challenges_code_key",
        "certificate_challenges.code",
        Conflict::ChallengeCode,
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint: {0}")]
    Conflict(Conflict),
    #[error("database: {0}")]
    Database(sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("unsupported database url (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let message = db.message();
            let constraint = db.constraint();
            for (pg, sqlite, conflict) in CONFLICTS {
                if constraint == Some(*pg) || message.contains(sqlite) {
                    return StoreError::Conflict(*conflict);
                }
            }
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    pub fn conflict(&self) -> Option<Conflict> {
        match self {
            StoreError::Conflict(c) => Some(*c),
            _ => None,
        }
    }
}
