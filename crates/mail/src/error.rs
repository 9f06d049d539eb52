use std::fmt;

/// Which address of a message was at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressRole {
    /// The configured `from`.
    Sender,
    /// The message's `to`.
    Recipient,
}

impl fmt::Display for AddressRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sender => "sender",
            Self::Recipient => "recipient",
        })
    }
}

/// Why a message was not handed to the SMTP server.
///
/// Messages carry no addresses of their own (addresses are personal data and these errors are
/// logged); a server's reply text is kept as the server sent it, since that is what an operator
/// needs to see.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address does not parse; checked before any connection is made.
    #[error("invalid {role} address: {reason}")]
    InvalidAddress { role: AddressRole, reason: String },
    /// The settings cannot work (e.g. a username without a password, a timeout of zero).
    #[error("invalid SMTP settings: {0}")]
    Settings(String),
    /// The message could not be built.
    #[error("cannot build the message: {0}")]
    Message(String),
    /// The server answered with a negative reply (4xx or 5xx).
    #[error("SMTP server replied {code}: {reply}")]
    Rejected { code: u16, reply: String },
    /// Anything on the way: connection refused, DNS, TLS, time-out, a broken dialogue.
    #[error("SMTP transport error: {0}")]
    Transport(String),
}

impl MailError {
    /// Whether sending the same message again, unchanged, is pointless.
    ///
    /// 5xx replies are permanent (RFC 5321 §4.2.1) except the authentication ones (530, 534, 535,
    /// 538): those say the *settings* are wrong, and a message should wait for an operator to fix
    /// them rather than be dropped. 4xx replies and transport errors are transient.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::InvalidAddress { .. } | Self::Settings(_) | Self::Message(_) => true,
            Self::Rejected { code, .. } => {
                (500..600).contains(code) && !matches!(code, 530 | 534 | 535 | 538)
            }
            Self::Transport(_) => false,
        }
    }

    pub(crate) fn from_smtp(err: &lettre::transport::smtp::Error) -> Self {
        match err.status() {
            Some(code) => {
                let reply = std::error::Error::source(err)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Self::Rejected {
                    code: u16::from(code),
                    reply,
                }
            }
            None => Self::Transport(err.to_string()),
        }
    }
}
