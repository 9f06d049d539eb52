//! Sends through a small SMTP server written here (RFC 5321, enough for lettre) and checks what
//! arrives on the wire: envelope, headers, transfer encodings, authentication, failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail::{AddressRole, MailError, Message, Security, SmtpMailer, SmtpSettings};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// One message as the server accepted it.
#[derive(Debug, Clone)]
struct Received {
    ehlo: String,
    auth: Option<(String, String)>,
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, without the terminating `.` line.
    data: String,
    /// Whether any DATA line ended in a bare LF instead of CRLF.
    bare_lf: bool,
}

#[derive(Clone, Default)]
struct Behaviour {
    /// Advertise `AUTH PLAIN LOGIN` and accept exactly these credentials (others get 535).
    credentials: Option<(String, String)>,
    /// The reply to every RCPT TO, instead of 250.
    rcpt_reply: Option<&'static str>,
    /// Accept connections and never say a word.
    silent: bool,
}

struct TestServer {
    port: u16,
    received: mpsc::UnboundedReceiver<Received>,
    /// Every command verb the server was sent, across connections; `CONNECT` marks a connection.
    log: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, received) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(behaviour);
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
                    behaviour: Arc::clone(&behaviour),
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
        }
    }

    fn settings(&self) -> SmtpSettings {
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

    fn mailer(&self) -> SmtpMailer {
        SmtpMailer::new(&self.settings()).unwrap()
    }

    /// The message the last successful send delivered: the server hands it over before it
    /// answers 250, so it is there once `send` has returned.
    fn delivered(&mut self) -> Received {
        self.received.try_recv().expect("a message was delivered")
    }

    fn assert_nothing_delivered(&mut self) {
        assert!(
            self.received.try_recv().is_err(),
            "no message should have been delivered"
        );
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

struct Session {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: OwnedWriteHalf,
    behaviour: Arc<Behaviour>,
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
                    } else if let Some(reply) = self.behaviour.rcpt_reply {
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

struct Parsed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    fn new(data: &str) -> Self {
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

    fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = found.next();
        assert!(found.next().is_none(), "header {name} appears twice");
        first
    }

    fn decoded_header(&self, name: &str) -> String {
        decode_rfc2047(
            self.header(name)
                .unwrap_or_else(|| panic!("no {name} header")),
        )
    }

    fn transfer_encoding(&self) -> String {
        self.header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase()
    }

    fn decoded_body(&self) -> String {
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
fn decode_rfc2047(value: &str) -> String {
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

fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
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

fn message(to: &str, subject: &str, body: &str) -> Message {
    Message {
        to: to.into(),
        subject: subject.into(),
        body: body.into(),
    }
}

/// `\n` and `\r\n` compare equal: the mailer sends CRLF whatever it was given.
fn same_text(received: &str, sent: &str) {
    assert_eq!(received.replace("\r\n", "\n"), sent.replace("\r\n", "\n"));
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

const SUBJECT: &str = "您的证书申请（编号 CD-2024-000123）已通过审核";
const BODY: &str = "尊敬的用户：\n\n您提交的 OV SSL 证书申请已通过审核，证书已签发。\n请登录 certdesk 下载证书文件（PEM、PFX 格式）。\n\n如非本人操作，请忽略本邮件。\n——证书服务中心";

#[tokio::test]
async fn chinese_subject_and_body_arrive_intact() {
    let mut server = TestServer::start(Behaviour::default()).await;
    server
        .mailer()
        .send(&message("张三 <zhangsan@example.cn>", SUBJECT, BODY))
        .await
        .unwrap();

    let received = server.delivered();
    assert_eq!(received.mail_from, "noreply@example.cn");
    assert_eq!(received.rcpt_to, vec!["zhangsan@example.cn".to_string()]);
    assert!(!received.ehlo.is_empty());
    assert!(!received.bare_lf, "every line ends in CRLF");
    assert!(received.data.is_ascii(), "7-bit clean: {}", received.data);

    let parsed = Parsed::new(&received.data);
    assert_eq!(parsed.decoded_header("Subject"), SUBJECT);
    assert_eq!(
        parsed.decoded_header("From"),
        "certdesk <noreply@example.cn>"
    );
    assert_eq!(parsed.decoded_header("To"), "张三 <zhangsan@example.cn>");
    assert_eq!(
        parsed.header("Content-Type").map(str::to_ascii_lowercase),
        Some("text/plain; charset=utf-8".to_string())
    );
    assert!(
        matches!(
            parsed.transfer_encoding().as_str(),
            "base64" | "quoted-printable"
        ),
        "{}",
        parsed.transfer_encoding()
    );
    assert!(parsed.header("Date").is_some());
    assert!(parsed.header("Message-ID").is_some());
    assert!(parsed.header("MIME-Version").is_some());
    same_text(&parsed.decoded_body(), BODY);
}

#[tokio::test]
async fn mostly_ascii_body_goes_quoted_printable_and_arrives_intact() {
    let body = "Certificate serial 4F2A9C0011 for www.example.cn is ready / 证书已签发.\n\
                Valid until 2026-01-01; download it from https://certdesk.example.cn/certs?id=42&fmt=pem\n\
                A line with = signs == and a very long tail that goes past seventy-six characters so it must be soft-broken by the encoder.\n";
    let mut server = TestServer::start(Behaviour::default()).await;
    server
        .mailer()
        .send(&message("ops@example.cn", "Status 状态", body))
        .await
        .unwrap();

    let parsed = Parsed::new(&server.delivered().data);
    assert_eq!(parsed.transfer_encoding(), "quoted-printable");
    assert_eq!(parsed.decoded_header("Subject"), "Status 状态");
    same_text(&parsed.decoded_body(), body);
}

#[tokio::test]
async fn lines_starting_with_a_dot_are_stuffed_and_survive() {
    let body = "first line\n.\n..two dots\n.last line starts with a dot";
    let mut server = TestServer::start(Behaviour::default()).await;
    server
        .mailer()
        .send(&message("ops@example.cn", "dots", body))
        .await
        .unwrap();

    let parsed = Parsed::new(&server.delivered().data);
    assert_eq!(parsed.transfer_encoding(), "7bit");
    same_text(&parsed.decoded_body(), body);
}

#[tokio::test]
async fn a_line_break_in_the_subject_cannot_add_a_header() {
    let mut server = TestServer::start(Behaviour::default()).await;
    let mailer = server.mailer();
    for subject in [
        "通知\r\nBcc: attacker@example.com",
        "Notice\r\nBcc: attacker@example.com",
        "Notice\nBcc: attacker@example.com",
        "Notice\r\n\r\nforged body",
    ] {
        mailer
            .send(&message("zhangsan@example.cn", subject, "正文"))
            .await
            .unwrap();

        let received = server.delivered();
        assert_eq!(received.rcpt_to, vec!["zhangsan@example.cn".to_string()]);
        let parsed = Parsed::new(&received.data);
        assert!(parsed.header("Bcc").is_none(), "{}", received.data);
        same_text(&parsed.decoded_body(), "正文");
    }
}

#[tokio::test]
async fn one_mailer_sends_many_messages_and_clones_share_settings() {
    let mut server = TestServer::start(Behaviour::default()).await;
    let mailer = server.mailer();
    let clone = mailer.clone();
    mailer
        .send(&message("a@example.cn", "一", "第一封"))
        .await
        .unwrap();
    clone
        .send(&message("b@example.cn", "二", "第二封"))
        .await
        .unwrap();

    let first = server.delivered();
    let second = server.delivered();
    assert_eq!(first.rcpt_to, vec!["a@example.cn".to_string()]);
    assert_eq!(second.rcpt_to, vec!["b@example.cn".to_string()]);
    same_text(&Parsed::new(&second.data).decoded_body(), "第二封");
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

fn with_credentials(settings: SmtpSettings, user: &str, pass: &str) -> SmtpSettings {
    SmtpSettings {
        username: Some(user.into()),
        password: Some(pass.into()),
        ..settings
    }
}

#[tokio::test]
async fn configured_credentials_are_sent() {
    let credentials = ("mailer@example.cn".to_string(), "s3cret 口令".to_string());
    let mut server = TestServer::start(Behaviour {
        credentials: Some(credentials.clone()),
        ..Behaviour::default()
    })
    .await;
    let settings = with_credentials(server.settings(), &credentials.0, &credentials.1);
    SmtpMailer::new(&settings)
        .unwrap()
        .send(&message("zhangsan@example.cn", SUBJECT, BODY))
        .await
        .unwrap();

    let received = server.delivered();
    assert_eq!(received.auth, Some(credentials));
    let log = server.log();
    let auth_at = log.iter().position(|v| v == "AUTH").unwrap();
    let mail_at = log.iter().position(|v| v == "MAIL").unwrap();
    assert!(auth_at < mail_at, "{log:?}");
}

#[tokio::test]
async fn no_credentials_no_auth() {
    let mut server = TestServer::start(Behaviour {
        credentials: Some(("u".into(), "p".into())),
        ..Behaviour::default()
    })
    .await;
    server
        .mailer()
        .send(&message("zhangsan@example.cn", "无认证", "正文"))
        .await
        .unwrap();

    assert_eq!(server.delivered().auth, None);
    assert!(!server.log().contains(&"AUTH".to_string()));
}

#[tokio::test]
async fn refused_credentials_are_an_error_to_retry_after_fixing_settings() {
    let mut server = TestServer::start(Behaviour {
        credentials: Some(("mailer@example.cn".into(), "right".into())),
        ..Behaviour::default()
    })
    .await;
    let settings = with_credentials(server.settings(), "mailer@example.cn", "wrong");
    let err = SmtpMailer::new(&settings)
        .unwrap()
        .send(&message("zhangsan@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, MailError::Rejected { code: 535, .. }),
        "{err:?}"
    );
    assert!(!err.is_permanent());
    server.assert_nothing_delivered();
    assert!(!server.log().contains(&"MAIL".to_string()));
}

// ---------------------------------------------------------------------------------------------
// Failures and their classification
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_recipient_fails_before_any_connection() {
    let mut server = TestServer::start(Behaviour::default()).await;
    let mailer = server.mailer();
    for to in [
        "",
        "zhangsan",
        "zhangsan@",
        "@example.cn",
        "a@b@example.cn",
        "张三 <>",
        "zhangsan@example.cn, lisi@example.cn",
        "zhangsan@example.cn\r\nRCPT TO:<x@example.com>",
    ] {
        let err = mailer
            .send(&message(to, "主题", "正文"))
            .await
            .expect_err(to);
        assert!(
            matches!(
                err,
                MailError::InvalidAddress {
                    role: AddressRole::Recipient,
                    ..
                }
            ),
            "{to:?}: {err:?}"
        );
        assert!(err.is_permanent());
    }
    assert!(server.log().is_empty(), "{:?}", server.log());
    server.assert_nothing_delivered();
}

#[tokio::test]
async fn invalid_sender_is_refused_by_new() {
    let server = TestServer::start(Behaviour::default()).await;
    for from in ["noreply", "certdesk <noreply>", ""] {
        let settings = SmtpSettings {
            from: from.into(),
            ..server.settings()
        };
        let err = SmtpMailer::new(&settings).err().expect(from);
        assert!(
            matches!(
                err,
                MailError::InvalidAddress {
                    role: AddressRole::Sender,
                    ..
                }
            ),
            "{from:?}: {err:?}"
        );
        assert!(err.is_permanent());
    }
}

#[tokio::test]
async fn recipient_refused_with_5xx_is_permanent() {
    let mut server = TestServer::start(Behaviour {
        rcpt_reply: Some("550 5.1.1 <nobody@example.cn>: no such mailbox"),
        ..Behaviour::default()
    })
    .await;
    let err = server
        .mailer()
        .send(&message("nobody@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    match &err {
        MailError::Rejected { code, reply } => {
            assert_eq!(*code, 550);
            assert!(reply.contains("no such mailbox"), "{reply}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(err.is_permanent());
    assert!(err.to_string().contains("550"), "{err}");
    server.assert_nothing_delivered();
}

#[tokio::test]
async fn recipient_refused_with_4xx_is_transient() {
    let mut server = TestServer::start(Behaviour {
        rcpt_reply: Some("450 4.2.0 mailbox busy, try later"),
        ..Behaviour::default()
    })
    .await;
    let err = server
        .mailer()
        .send(&message("busy@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, MailError::Rejected { code: 450, .. }),
        "{err:?}"
    );
    assert!(!err.is_permanent());
    server.assert_nothing_delivered();
}

#[test]
fn reply_codes_classify_as_rfc_5321_says_except_authentication() {
    let rejected = |code| MailError::Rejected {
        code,
        reply: String::new(),
    };
    for code in [500, 550, 552, 553, 554] {
        assert!(rejected(code).is_permanent(), "{code}");
    }
    for code in [421, 450, 451, 452, 530, 534, 535, 538] {
        assert!(!rejected(code).is_permanent(), "{code}");
    }
    assert!(!MailError::Transport("x".into()).is_permanent());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        from: "noreply@example.cn".into(),
        timeout_secs: 5,
    };
    let err = SmtpMailer::new(&settings)
        .unwrap()
        .send(&message("zhangsan@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let mut server = TestServer::start(Behaviour {
        silent: true,
        ..Behaviour::default()
    })
    .await;
    let settings = SmtpSettings {
        timeout_secs: 1,
        ..server.settings()
    };
    let mailer = SmtpMailer::new(&settings).unwrap();
    let started = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        mailer.send(&message("zhangsan@example.cn", "主题", "正文")),
    )
    .await
    .expect("send gives up by itself")
    .unwrap_err();

    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    assert!(!err.is_permanent());
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(server.log(), vec!["CONNECT".to_string()]);
    server.assert_nothing_delivered();
}

#[tokio::test]
async fn starttls_never_falls_back_to_clear_text() {
    let mut server = TestServer::start(Behaviour {
        credentials: Some(("mailer@example.cn".into(), "secret".into())),
        ..Behaviour::default()
    })
    .await;
    let settings = SmtpSettings {
        security: Security::StartTls,
        ..with_credentials(server.settings(), "mailer@example.cn", "secret")
    };
    let err = SmtpMailer::new(&settings)
        .unwrap()
        .send(&message("zhangsan@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    let log = server.log();
    assert!(
        !log.iter().any(|v| v == "AUTH" || v == "MAIL"),
        "nothing but the greeting exchange in clear text: {log:?}"
    );
    server.assert_nothing_delivered();
}

#[tokio::test]
async fn implicit_tls_against_a_plain_server_is_a_transport_error() {
    let mut server = TestServer::start(Behaviour::default()).await;
    let settings = SmtpSettings {
        security: Security::Tls,
        ..server.settings()
    };
    let err = SmtpMailer::new(&settings)
        .unwrap()
        .send(&message("zhangsan@example.cn", "主题", "正文"))
        .await
        .unwrap_err();

    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    assert!(!err.is_permanent());
    server.assert_nothing_delivered();
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

fn remote_settings(security: Security, port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "smtp.example.cn".into(),
        port,
        security,
        username: Some("noreply@example.cn".into()),
        password: Some("hunter2-口令".into()),
        from: "certdesk <noreply@example.cn>".into(),
        timeout_secs: 10,
    }
}

#[test]
fn tls_and_starttls_transports_build() {
    SmtpMailer::new(&remote_settings(Security::Tls, 465)).unwrap();
    SmtpMailer::new(&remote_settings(Security::StartTls, 587)).unwrap();
    SmtpMailer::new(&remote_settings(Security::None, 25)).unwrap();
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let half_credentials = SmtpSettings {
        password: None,
        ..remote_settings(Security::Tls, 465)
    };
    let no_timeout = SmtpSettings {
        timeout_secs: 0,
        ..remote_settings(Security::Tls, 465)
    };
    let no_host = SmtpSettings {
        host: " ".into(),
        ..remote_settings(Security::Tls, 465)
    };
    for settings in [half_credentials, no_timeout, no_host] {
        let err = SmtpMailer::new(&settings).err().expect("refused");
        assert!(matches!(err, MailError::Settings(_)), "{err:?}");
    }
}

#[test]
fn debug_never_shows_the_password() {
    let settings = remote_settings(Security::StartTls, 587);
    let shown = format!("{settings:?} {settings:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(shown.contains("smtp.example.cn"), "{shown}");

    let none = SmtpSettings {
        password: None,
        ..settings
    };
    assert!(format!("{none:?}").contains("password: None"));
}

#[test]
fn settings_deserialize_with_lowercase_security_and_default_timeout() {
    let settings: SmtpSettings = serde_json::from_str(
        r#"{"host":"smtp.example.cn","port":587,"security":"starttls",
            "username":"u","password":"p","from":"certdesk <noreply@example.cn>"}"#,
    )
    .unwrap();
    assert_eq!(settings.security, Security::StartTls);
    assert_eq!(settings.timeout_secs, 10);
    assert_eq!(settings.password.as_deref(), Some("p"));

    for (text, expected) in [("none", Security::None), ("tls", Security::Tls)] {
        let json = format!(
            r#"{{"host":"h","port":25,"security":"{text}","from":"a@example.cn","timeout_secs":3}}"#
        );
        let settings: SmtpSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(settings.security, expected);
        assert_eq!(settings.username, None);
        assert_eq!(settings.timeout_secs, 3);
    }
    assert!(
        serde_json::from_str::<SmtpSettings>(
            r#"{"host":"h","port":25,"security":"ssl","from":"a@example.cn"}"#
        )
        .is_err()
    );
}
