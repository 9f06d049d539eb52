//! A small SMTP server for tests (RFC 5321, enough for lettre), and helpers to read what
//! arrived: headers, RFC 2047 encoded words, transfer encodings. Feature `testing`; used by this
//! crate's tests and by the outbox tests of `app`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::{Security, SmtpMailer, SmtpSettings};

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// One message as the server accepted it.
#[derive(Debug, Clone)]
pub struct Received {
    pub ehlo: String,
    pub auth: Option<(String, String)>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, without the terminating `.` line.
    pub data: String,
    /// Whether any DATA line ended in a bare LF instead of CRLF.
    pub bare_lf: bool,
}

#[derive(Clone, Default)]
pub struct Behaviour {
    /// Advertise `AUTH PLAIN LOGIN` and accept exactly these credentials (others get 535).
    pub credentials: Option<(String, String)>,
    /// The reply to every RCPT TO, instead of 250.
    pub rcpt_reply: Option<&'static str>,
    /// The reply to RCPT TO for these addresses only, instead of 250.
    pub rcpt_replies: Vec<(String, &'static str)>,
    /// Accept connections and never say a word.
    pub silent: bool,
}

impl Behaviour {
    fn rcpt_reply_for(&self, address: &str) -> Option<&'static str> {
        self.rcpt_replies
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(address))
            .map(|(_, r)| *r)
            .or(self.rcpt_reply)
    }
}

pub struct TestServer {
    pub port: u16,
    received: mpsc::UnboundedReceiver<Received>,
    /// Every command verb the server was sent, across connections; `CONNECT` marks a connection.
    log: Arc<Mutex<Vec<String>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl TestServer {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, received) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let server_behaviour = Arc::clone(&behaviour);
        let server_log = Arc::clone(&log);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                server_log.lock().unwrap().push("CONNECT".to_string());
                let (read, write) = stream.into_split();
                let session = Session {
                    reader: BufReader::new(read),
                    writer: write,
                    // Each connection sees the behaviour as it was when it connected.
                    behaviour: server_behaviour.lock().unwrap().clone(),
                    tx: tx.clone(),
                    log: Arc::clone(&server_log),
                };
                tokio::spawn(session.run());
            }
        });
        Self {
            port,
            received,
            log,
            behaviour,
        }
    }

    /// Settings for a plain connection to this server.
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            security: Security::None,
            username: None,
            password: None,
            from: "certdesk <noreply@example.cn>".into(),
            timeout_secs: 5,
        }
    }

    pub fn mailer(&self) -> SmtpMailer {
        SmtpMailer::new(&self.settings()).unwrap()
    }

    /// The message the last successful send delivered: the server hands it over before it
    /// answers 250, so it is there once `send` has returned.
    pub fn delivered(&mut self) -> Received {
        self.received.try_recv().expect("a message was delivered")
    }

    pub fn assert_nothing_delivered(&mut self) {
        assert!(
            self.received.try_recv().is_err(),
            "no message should have been delivered"
        );
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Everything delivered since the last call.
    pub fn take_all(&mut self) -> Vec<Received> {
        std::iter::from_fn(|| self.received.try_recv().ok()).collect()
    }

    /// Changes how the server answers connections made from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }
}

struct Session {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: OwnedWriteHalf,
    behaviour: Behaviour,
    tx: mpsc::UnboundedSender<Received>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Session {
    async fn run(mut self) {
        if self.behaviour.silent {
            let mut sink = Vec::new();
            let _ = self.reader.read_to_end(&mut sink).await;
            return;
        }
        // A client that goes away mid-dialogue is not the server's failure.
        let _ = self.dialogue().await;
    }

    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        // One write per reply: two small writes meet Nagle and delayed ACK, 40 ms each.
        self.writer
            .write_all(format!("{text}\r\n").as_bytes())
            .await
    }

    async fn dialogue(&mut self) -> std::io::Result<()> {
        self.reply("220 mx.test ESMTP certdesk test server").await?;
        let mut ehlo = String::new();
        let mut auth = None;
        let mut mail_from: Option<String> = None;
        let mut rcpt_to = Vec::new();
        loop {
            let Some(raw) = read_line(&mut self.reader).await? else {
                return Ok(());
            };
            let line = raw.trim_end_matches("\r\n").to_string();
            assert!(raw.ends_with("\r\n"), "command without CRLF: {raw:?}");
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            self.log.lock().unwrap().push(verb.clone());
            match verb.as_str() {
                "EHLO" => {
                    ehlo = line[5..].to_string();
                    if self.behaviour.credentials.is_some() {
                        self.reply("250-mx.test\r\n250 AUTH PLAIN LOGIN").await?;
                    } else {
                        self.reply("250 mx.test").await?;
                    }
                }
                "HELO" => {
                    ehlo = line[5..].to_string();
                    self.reply("250 mx.test").await?;
                }
                "AUTH" if self.behaviour.credentials.is_some() => {
                    let mut words = line.split(' ').skip(1);
                    let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
                    let initial = words.next().map(str::to_string);
                    let given = match mechanism.as_str() {
                        "PLAIN" => {
                            let encoded = match initial {
                                Some(encoded) => encoded,
                                None => self.challenge("").await?,
                            };
                            let decoded =
                                String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
                            // authzid NUL authcid NUL passwd
                            let parts: Vec<&str> = decoded.split('\0').collect();
                            assert_eq!(parts.len(), 3, "AUTH PLAIN payload: {decoded:?}");
                            (parts[1].to_string(), parts[2].to_string())
                        }
                        "LOGIN" => {
                            let user = self.challenge("VXNlcm5hbWU6").await?;
                            let pass = self.challenge("UGFzc3dvcmQ6").await?;
                            (decode_b64_text(&user), decode_b64_text(&pass))
                        }
                        _ => {
                            self.reply("504 5.5.4 mechanism not supported").await?;
                            continue;
                        }
                    };
                    let accepted = self.behaviour.credentials.as_ref() == Some(&given);
                    auth = Some(given);
                    if accepted {
                        self.reply("235 2.7.0 Authentication successful").await?;
                    } else {
                        self.reply("535 5.7.8 Authentication credentials invalid")
                            .await?;
                    }
                }
                "MAIL" => {
                    mail_from = Some(angle_address(&line));
                    rcpt_to.clear();
                    self.reply("250 2.1.0 Ok").await?;
                }
                "RCPT" => {
                    if mail_from.is_none() {
                        self.reply("503 5.5.1 need MAIL first").await?;
                    } else if let Some(reply) = self.behaviour.rcpt_reply_for(&angle_address(&line))
                    {
                        self.reply(reply).await?;
                    } else {
                        rcpt_to.push(angle_address(&line));
                        self.reply("250 2.1.5 Ok").await?;
                    }
                }
                "DATA" => {
                    if rcpt_to.is_empty() {
                        self.reply("503 5.5.1 need RCPT first").await?;
                        continue;
                    }
                    self.reply("354 End data with <CR><LF>.<CR><LF>").await?;
                    let mut data = String::new();
                    let mut bare_lf = false;
                    loop {
                        let Some(raw) = read_line(&mut self.reader).await? else {
                            return Ok(());
                        };
                        if raw == ".\r\n" {
                            break;
                        }
                        bare_lf |= !raw.ends_with("\r\n");
                        // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                        data.push_str(raw.strip_prefix('.').unwrap_or(&raw));
                    }
                    // The CRLF before the final dot belongs to the terminator.
                    if data.ends_with("\r\n") {
                        data.truncate(data.len() - 2);
                    }
                    let message = Received {
                        ehlo: ehlo.clone(),
                        auth: auth.clone(),
                        mail_from: mail_from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                        bare_lf,
                    };
                    self.tx.send(message).unwrap();
                    self.reply("250 2.0.0 Ok: queued").await?;
                }
                "RSET" => {
                    mail_from = None;
                    rcpt_to.clear();
                    self.reply("250 2.0.0 Ok").await?;
                }
                "NOOP" => self.reply("250 2.0.0 Ok").await?,
                "QUIT" => {
                    self.reply("221 2.0.0 Bye").await?;
                    return Ok(());
                }
                _ => self.reply("502 5.5.2 command not recognised").await?,
            }
        }
    }

    /// Sends a 334 challenge and returns the client's answer line.
    async fn challenge(&mut self, text: &str) -> std::io::Result<String> {
        self.reply(&format!("334 {text}")).await?;
        let answer = read_line(&mut self.reader).await?.unwrap_or_default();
        Ok(answer.trim_end_matches("\r\n").to_string())
    }
}

/// One line including its terminator, or `None` at end of stream.
async fn read_line(reader: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if reader.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    Ok(Some(String::from_utf8(buf).expect("UTF-8 on the wire")))
}

/// `MAIL FROM:<a@b> BODY=8BITMIME` → `a@b`.
fn angle_address(line: &str) -> String {
    let start = line.find('<').expect("an address in angle brackets") + 1;
    let end = line[start..].find('>').expect("a closing bracket") + start;
    line[start..end].to_string()
}

fn decode_b64_text(text: &str) -> String {
    String::from_utf8(STANDARD.decode(text).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Reading what arrived: headers, RFC 2047 encoded words, transfer encodings
// ---------------------------------------------------------------------------------------------

pub struct Parsed {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Parsed {
    pub fn new(data: &str) -> Self {
        let (head, body) = data
            .split_once("\r\n\r\n")
            .expect("a blank line after headers");
        // RFC 5322 §2.2.3: unfolding removes the CRLF before leading white space.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", "\t");
        let headers = unfolded
            .split("\r\n")
            .map(|line| {
                let (name, value) = line.split_once(':').expect("name: value");
                (name.to_string(), value.trim().to_string())
            })
            .collect();
        Self {
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = found.next();
        assert!(found.next().is_none(), "header {name} appears twice");
        first
    }

    pub fn decoded_header(&self, name: &str) -> String {
        decode_rfc2047(
            self.header(name)
                .unwrap_or_else(|| panic!("no {name} header")),
        )
    }

    pub fn transfer_encoding(&self) -> String {
        self.header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase()
    }

    pub fn decoded_body(&self) -> String {
        let bytes = match self.transfer_encoding().as_str() {
            "base64" => {
                let compact: Vec<u8> = self
                    .body
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                STANDARD.decode(compact).expect("valid base64 body")
            }
            "quoted-printable" => decode_quoted_printable(&self.body),
            "7bit" | "8bit" => self.body.clone(),
            other => panic!("unexpected transfer encoding {other}"),
        };
        String::from_utf8(bytes).expect("UTF-8 body")
    }
}

/// Decodes a header value that may hold RFC 2047 encoded words. Adjacent encoded words are joined
/// without the white space between them, and their bytes are joined before UTF-8 decoding, as an
/// encoder may split a character across words. Runs of white space elsewhere become one space.
pub fn decode_rfc2047(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut in_words = false;
    let flush = |out: &mut String, pending: &mut Vec<u8>| {
        if !pending.is_empty() {
            out.push_str(&String::from_utf8(std::mem::take(pending)).expect("UTF-8 words"));
        }
    };
    for token in value.split_whitespace() {
        if let Some(bytes) = decode_encoded_word(token) {
            if !in_words && !out.is_empty() {
                out.push(' ');
            }
            pending.extend(bytes);
            in_words = true;
        } else {
            flush(&mut out, &mut pending);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
            in_words = false;
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// `=?charset?B|Q?text?=` → bytes, or `None` if `token` is not an encoded word.
fn decode_encoded_word(token: &str) -> Option<Vec<u8>> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
    Some(match encoding {
        "B" | "b" => STANDARD.decode(text).expect("valid base64 word"),
        "Q" | "q" => {
            let underscores_as_spaces = text.replace('_', " ");
            decode_quoted_printable(underscores_as_spaces.as_bytes())
        }
        other => panic!("unknown encoded-word encoding {other}"),
    })
}

pub fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'=' {
            if input[i + 1..].starts_with(b"\r\n") {
                i += 3; // soft line break
                continue;
            }
            let hex = std::str::from_utf8(&input[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("=XX escape"));
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}
