//! certdesk's domain: pure types and rules. No IO, no async, no database.
//!
//! Values here are parsed, not validated: a [`ident::Uscc`] that exists is a valid
//! 统一社会信用代码. Every parse error carries a stable message key
//! ([`Reason::key`]) that the web layer looks up in its catalogue.

pub mod account;
pub mod application;
pub mod calendar;
pub mod ident;
pub mod ids;
pub mod money;
pub mod organisation;
pub mod text;

pub use money::Fen;

/// A rule that a value broke, named by a stable key into the UI catalogue
/// (`crates/web/locales/<lang>/*.toml`), so the web layer can say it in Chinese or English.
pub trait Reason: std::error::Error {
    fn key(&self) -> &'static str;
}
