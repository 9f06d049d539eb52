//! Accounts: registration (with the organisation or the individual it registers),
//! sign-in sessions and passwords.

mod api_tokens;
mod certificate_login;
mod password;
mod register;
mod sessions;

pub use api_tokens::{
    ApiTokenView, DEFAULT_DAYS, MAX_DAYS, NewToken, NewTokenInput, TOKEN_PREFIX,
    authenticate_token, create_token, is_api_token, list_tokens, revoke_token,
};
pub use certificate_login::{
    BindingView, CHALLENGE_TTL, ChallengeInfo, LoginOutcome, SignatureInput, Signed,
    StartedChallenge, bindings, challenge, finish_login, normalise_code, sign_challenge,
    start_binding, start_login, unbind,
};
pub use password::{ChangePasswordInput, change_password};
pub(crate) use register::conflict_to_field;
pub use register::{
    AccountFields, RegisterIndividualInput, RegisterOrganisationInput, Registered,
    register_individual, register_organisation,
};
pub use sessions::{
    MAX_FAILURES, NewSession, SESSION_TTL, Session, SignInInput, THROTTLE_WINDOW, authenticate,
    sign_in, sign_out,
};

use domain::account::Password;
use domain::ident::{Email, Phone};
use domain::text::PersonName;

use crate::FieldErrors;

/// An optional e-mail field: empty means none.
pub(crate) fn optional_email(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
) -> Option<Email> {
    if raw.trim().is_empty() {
        None
    } else {
        errors.check(field, Email::parse(raw))
    }
}

/// A new password typed twice.
pub(crate) fn new_password(
    errors: &mut FieldErrors,
    field: &'static str,
    confirm_field: &'static str,
    password: &str,
    confirm: &str,
) -> Option<Password> {
    let parsed = errors.check(field, Password::parse(password));
    if parsed.is_some() && password != confirm {
        errors.add(confirm_field, "password.mismatch");
        return None;
    }
    parsed
}

pub(crate) struct PersonFields {
    pub mobile: Phone,
    pub name: PersonName,
    pub email: Option<Email>,
}
