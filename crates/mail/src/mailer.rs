use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{self, ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::error::{AddressRole, MailError};
use crate::settings::{Security, SmtpSettings};

/// One notification: a single recipient, a subject and a plain-text body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// An address, optionally with a display name: `张三 <zhangsan@example.cn>`.
    pub to: String,
    pub subject: String,
    /// Plain text; `\n` line endings are fine, they are sent as CRLF.
    pub body: String,
}

/// Sends [`Message`]s through one SMTP server. Cheap to clone; each send opens its own connection.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl SmtpMailer {
    /// Checks the settings and prepares the transport; does not connect.
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let from = parse_mailbox(&settings.from, AddressRole::Sender)?;
        if settings.host.trim().is_empty() {
            return Err(MailError::Settings("host is empty".into()));
        }
        if settings.timeout_secs == 0 {
            return Err(MailError::Settings(
                "timeout_secs must be at least 1".into(),
            ));
        }
        let timeout = Duration::from_secs(settings.timeout_secs);

        let builder = match settings.security {
            Security::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| MailError::Settings(format!("TLS for {}: {e}", settings.host)))?
            }
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| MailError::Settings(format!("TLS for {}: {e}", settings.host)))?,
        };
        let builder = builder.port(settings.port).timeout(Some(timeout));
        let builder = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                if settings.security == Security::None {
                    tracing::warn!(
                        host = %settings.host,
                        "SMTP credentials configured without TLS: they cross the network in clear text"
                    );
                }
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            (None, None) => builder,
            _ => {
                return Err(MailError::Settings(
                    "username and password must be set together".into(),
                ));
            }
        };

        Ok(Self {
            transport: builder.build(),
            from,
            timeout,
        })
    }

    /// Sends one message. The recipient is checked before connecting; the whole SMTP exchange is
    /// bounded by `timeout_secs` (lettre's own time-out covers only connecting, so a server that
    /// accepts and then says nothing would otherwise hold the caller for ever).
    ///
    /// As with any SMTP client, a time-out or broken connection after the final `.` but before
    /// the server's reply leaves delivery unknown: a retry may deliver the message twice.
    pub async fn send(&self, message: &Message) -> Result<(), MailError> {
        let to = parse_mailbox(&message.to, AddressRole::Recipient)?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.as_str())
            .message_id(None)
            .header(header::MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            // `body` rather than `singlepart`, which appends an empty line to every message; it
            // picks 7bit, quoted-printable or base64, whichever is valid and shortest.
            .body(message.body.clone())
            .map_err(|e| MailError::Message(e.to_string()))?;

        match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(err)) => Err(MailError::from_smtp(&err)),
            Err(_elapsed) => Err(MailError::Transport(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}

fn parse_mailbox(text: &str, role: AddressRole) -> Result<Mailbox, MailError> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::InvalidAddress {
            role,
            reason: e.to_string(),
        })
}
