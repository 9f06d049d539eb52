//! Sends through the small SMTP server of `mail::testing` (RFC 5321, enough for lettre) and checks what
//! arrives on the wire: envelope, headers, transfer encodings, authentication, failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mail::testing::{Behaviour, Parsed, TestServer};
use mail::{AddressRole, MailError, Message, Security, SmtpMailer, SmtpSettings};
use tokio::net::TcpListener;

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
