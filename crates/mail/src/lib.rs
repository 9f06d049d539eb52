//! Notification e-mail over SMTP.
//!
//! The rest of certdesk sees three things: [`SmtpSettings`] (read from configuration),
//! [`Message`] (what to say, in Chinese) and [`SmtpMailer::send`], whose [`MailError`] tells a
//! caller — typically an outbox worker — whether trying the same message again can help
//! ([`MailError::is_permanent`]).
//!
//! Messages go out as `text/plain; charset=utf-8`; lettre encodes non-ASCII subjects as RFC 2047
//! encoded words and picks a transfer encoding for the body (base64 or quoted-printable), so
//! Chinese text survives servers that only take 7-bit.
#![forbid(unsafe_code)]

mod error;
mod mailer;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{AddressRole, MailError};
pub use mailer::{Message, SmtpMailer};
pub use settings::{Security, SmtpSettings};
