use domain::Reason;
use serde::Serialize;
use store::StoreError;

/// One thing wrong with one field of a form: the field's name and a catalogue key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
}

/// Everything wrong with a submitted form, gathered in one pass so the person
/// sees every message at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors(Vec::new())
    }

    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.push(FieldError { field, key });
    }

    /// Parses one field, recording its error under `field`.
    pub fn check<T, E: Reason>(&mut self, field: &'static str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.key());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the errors of another check of the same form.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The key for `field`, if it has an error.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.key)
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }
}

/// What a use case can refuse with. The web layer maps each to a status, a stable
/// key and a message from the catalogue; `Internal` causes are logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong login or password")]
    BadCredentials,
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error("password must be changed first")]
    PasswordChangeRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A rule about the current state, e.g. removing the last organisation admin.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// The stable key clients and the catalogue use.
    pub fn key(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "error.invalid",
            Error::Unauthenticated => "error.unauthenticated",
            Error::BadCredentials => "error.bad_credentials",
            Error::Throttled { .. } => "error.throttled",
            Error::PasswordChangeRequired => "error.password_change_required",
            Error::Forbidden => "error.forbidden",
            Error::NotFound => "error.not_found",
            Error::Refused(key) => key,
            Error::Internal(_) => "error.internal",
        }
    }

    pub(crate) fn field(field: &'static str, key: &'static str) -> Error {
        let mut errors = FieldErrors::new();
        errors.add(field, key);
        Error::Invalid(errors)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.to_string())
    }
}
