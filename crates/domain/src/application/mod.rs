//! Applications (申请 / 订单): what an applicant asks for, the procedure it follows,
//! its fees and documents. The order of steps is data ([`Procedure`]); the state
//! machine ([`Flow`]) walks whatever procedure an application was submitted under.

mod documents;
mod fees;
mod flow;
mod kind;
mod order_number;
mod procedure;
mod serial;

pub mod production;

pub use documents::{
    DocumentError, DocumentKind, FileType, MAX_DOCUMENT_BYTES, Requirement, default_requirements,
};
pub use fees::{FeeError, MAX_QUANTITY, MAX_YEARS, Quote, QuoteInput};
pub use flow::{Flow, IllegalTransition, Position, Status, Transition};
pub use kind::{CertType, Channel, Delivery, Kind};
pub use order_number::{OrderNumber, OrderNumberError};
pub use procedure::{Procedure, ProcedureError, Producer, ReviewMode, Stage, Step};
pub use serial::{CertSerial, CertSerialError};

/// A closed set of values stored as text: `as_str` is the stored and API form,
/// `parse` its inverse, `ALL` every value in display order.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident / $error:ident ($key:literal) {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Result<$name, $error> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($error),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $error;

        impl std::fmt::Display for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!("unknown ", stringify!($name)))
            }
        }

        impl std::error::Error for $error {}

        impl $crate::Reason for $error {
            fn key(&self) -> &'static str {
                $key
            }
        }
    };
}
pub(crate) use text_enum;
