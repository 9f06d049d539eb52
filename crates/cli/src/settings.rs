//! Settings: defaults ← certdesk.toml ← CERTDESK_* environment ← flags.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(clap::Args, Default)]
pub struct Flags {
    /// Settings file (default: ./certdesk.toml, if present).
    #[arg(long, global = true, env = "CERTDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// Where the embedded database and files live [default: ./data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: SQLite in the data dir].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// The address people reach certdesk at, e.g. https://ca.example.com (https marks cookies Secure).
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// Do not create demo accounts on an empty database.
    #[arg(long, global = true)]
    pub no_demo: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    /// Seed demo accounts into an empty database on `serve`.
    pub demo: bool,
    /// Where uploaded documents go [default: a `blobs` folder in the data dir].
    #[serde(default, skip_serializing)]
    pub blobs: Option<blobs::BlobSettings>,
    /// Outgoing e-mail. Without it, e-mails stay in the outbox for admins to read.
    #[serde(default, skip_serializing)]
    pub smtp: Option<SmtpSection>,
    /// The CA: how its keys are opened, and its names for `ca init`.
    #[serde(default, skip_serializing)]
    pub ca: Option<CaSection>,
    /// Payment providers. Without it, the built-in sandbox.
    #[serde(default, skip_serializing)]
    pub payments: Option<PaymentsSection>,
}

/// The `[payments]` section: which providers payers choose from, and each one's keys
/// (`[payments.wechat]`, `[payments.alipay]`). Keys are read from files (or, for the
/// WeChat APIv3 key, an environment variable), never written here.
#[derive(Clone, Default, Deserialize)]
pub struct PaymentsSection {
    /// Offered in this order; the first is the default [default: `["sandbox"]`].
    pub providers: Option<Vec<String>>,
    /// How long a payment code can be paid, in minutes [default: 120].
    pub code_minutes: Option<u32>,
    pub wechat: Option<pay::wechat::Settings>,
    pub alipay: Option<pay::alipay::Settings>,
}

impl std::fmt::Debug for PaymentsSection {
    // Names only: the sections hold file paths and key ids, not for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsSection")
            .field("providers", &self.providers)
            .field("code_minutes", &self.code_minutes)
            .field("wechat", &self.wechat.is_some())
            .field("alipay", &self.alipay.is_some())
            .finish()
    }
}

/// The `[ca]` section. The passphrase comes only from `CERTDESK_CA__PASSPHRASE` or from
/// `passphrase_file`; written in certdesk.toml it is refused (see [`Settings::load`]).
#[derive(Clone, Default, Deserialize)]
pub struct CaSection {
    pub passphrase: Option<String>,
    pub passphrase_file: Option<PathBuf>,
    /// Keys in a PKCS#11 token instead (P-256 only).
    pub pkcs11: Option<Pkcs11Section>,
    /// `O=` of the CA names [default: certdesk].
    pub organisation: Option<String>,
    /// `CN=` of the root [default: certdesk Root CA].
    pub root_common_name: Option<String>,
    /// `CN=` of the issuing CA [default: certdesk Issuing CA].
    pub issuing_common_name: Option<String>,
}

/// `[ca.pkcs11]`: the PIN from `CERTDESK_CA__PKCS11__PIN` or `pin_file`.
#[derive(Clone, Default, Deserialize)]
pub struct Pkcs11Section {
    pub module: Option<PathBuf>,
    pub token_label: Option<String>,
    pub pin: Option<String>,
    pub pin_file: Option<PathBuf>,
}

impl fmt::Debug for CaSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaSection")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("passphrase_file", &self.passphrase_file)
            .field("pkcs11", &self.pkcs11)
            .field("organisation", &self.organisation)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Pkcs11Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Section")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("pin_file", &self.pin_file)
            .finish()
    }
}

/// A secret from the environment or a file (one of them), trimmed of its line end.
fn secret(
    value: &Option<String>,
    file: &Option<PathBuf>,
    name: &str,
    env: &str,
) -> Result<Option<zeroize::Zeroizing<String>>> {
    match (value, file) {
        (Some(_), Some(_)) => {
            anyhow::bail!("settings ca.{name} ({env}) and ca.{name}_file are both set: keep one")
        }
        (Some(v), None) => Ok(Some(zeroize::Zeroizing::new(v.clone()))),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading setting ca.{name}_file ({})", file.display()))?;
            Ok(Some(zeroize::Zeroizing::new(
                text.trim_end_matches(['\r', '\n']).to_owned(),
            )))
        }
        (None, None) => Ok(None),
    }
}

impl CaSection {
    /// How the CA keys are opened: a token when `[ca.pkcs11]` is set (or `pkcs11` is asked
    /// for), else the passphrase if one is given; none otherwise.
    pub fn key_source(&self, pkcs11: bool) -> Result<Option<app::ca::KeySource>> {
        if pkcs11 || self.pkcs11.is_some() {
            let p = self.pkcs11.clone().unwrap_or_default();
            let module = p.module.clone().ok_or_else(|| {
                anyhow::anyhow!("setting ca.pkcs11.module is required for a CA in a PKCS#11 token (or CERTDESK_CA__PKCS11__MODULE)")
            })?;
            let token_label = p.token_label.clone().ok_or_else(|| {
                anyhow::anyhow!("setting ca.pkcs11.token_label is required for a CA in a PKCS#11 token (or CERTDESK_CA__PKCS11__TOKEN_LABEL)")
            })?;
            let pin = secret(
                &p.pin,
                &p.pin_file,
                "pkcs11.pin",
                "CERTDESK_CA__PKCS11__PIN",
            )?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the token PIN is missing: set CERTDESK_CA__PKCS11__PIN or ca.pkcs11.pin_file"
                )
            })?;
            return Ok(Some(app::ca::KeySource::Pkcs11 {
                module,
                token_label,
                pin,
            }));
        }
        Ok(secret(
            &self.passphrase,
            &self.passphrase_file,
            "passphrase",
            "CERTDESK_CA__PASSPHRASE",
        )?
        .map(app::ca::KeySource::file))
    }

    pub fn names(&self) -> app::ca::CaNames {
        let mut names = app::ca::CaNames::default();
        if let Some(o) = &self.organisation {
            names.organisation.clone_from(o);
        }
        if let Some(cn) = &self.root_common_name {
            names.root_common_name.clone_from(cn);
        }
        if let Some(cn) = &self.issuing_common_name {
            names.issuing_common_name.clone_from(cn);
        }
        names
    }
}

/// The `[smtp]` section, as written; [`SmtpSection::mailer`] checks it.
///
/// The password may come from the file, from `CERTDESK_SMTP__PASSWORD`, or from
/// `password_file` (a file holding only the password, e.g. a container secret).
#[derive(Clone, Default, Deserialize)]
pub struct SmtpSection {
    pub host: Option<String>,
    /// Default: 465 with `tls`, 587 with `starttls`, 25 with `none`.
    pub port: Option<u16>,
    /// `starttls` (the default), `tls` or `none`.
    pub security: Option<mail::Security>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    /// The sender: `certdesk <noreply@example.cn>`.
    pub from: Option<String>,
    /// Bounds connecting and each message's exchange [default: 10].
    pub timeout_secs: Option<u64>,
    /// How often the outbox is looked at [default: 10].
    pub interval_secs: Option<u64>,
}

impl fmt::Debug for SmtpSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .field("from", &self.from)
            .field("timeout_secs", &self.timeout_secs)
            .field("interval_secs", &self.interval_secs)
            .finish()
    }
}

/// A checked `[smtp]` section: the mailer and how often the outbox is looked at.
pub struct Smtp {
    pub mailer: mail::SmtpMailer,
    pub interval: Duration,
    /// Where mail goes, for the start-up message (no password).
    pub server: String,
}

impl SmtpSection {
    /// Checks the section; every message names the setting at fault.
    pub fn mailer(&self) -> Result<Smtp> {
        let required = |value: &Option<String>, name: &str| -> Result<String> {
            match value.as_deref().map(str::trim) {
                Some(v) if !v.is_empty() => Ok(v.to_owned()),
                _ => anyhow::bail!(
                    "setting smtp.{name} is required when [smtp] is set (or CERTDESK_SMTP__{} in the environment)",
                    name.to_ascii_uppercase()
                ),
            }
        };
        let host = required(&self.host, "host")?;
        let from = required(&self.from, "from")?;
        let security = self.security.unwrap_or(mail::Security::StartTls);
        let port = self.port.unwrap_or(match security {
            mail::Security::Tls => 465,
            mail::Security::StartTls => 587,
            mail::Security::None => 25,
        });
        let password = match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => anyhow::bail!(
                "settings smtp.password and smtp.password_file are both set: keep one"
            ),
            (Some(p), None) => Some(p.clone()),
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file).with_context(|| {
                    format!("reading setting smtp.password_file ({})", file.display())
                })?;
                Some(text.trim_end_matches(['\r', '\n']).to_owned())
            }
            (None, None) => None,
        };
        match (&self.username, &password) {
            (Some(_), None) => anyhow::bail!(
                "setting smtp.username is set without a password (smtp.password, smtp.password_file or CERTDESK_SMTP__PASSWORD)"
            ),
            (None, Some(_)) => {
                anyhow::bail!("a password is set for SMTP without setting smtp.username")
            }
            _ => {}
        }
        if self.timeout_secs == Some(0) {
            anyhow::bail!("setting smtp.timeout_secs must be at least 1");
        }
        let interval_secs = self.interval_secs.unwrap_or(10);
        if interval_secs == 0 {
            anyhow::bail!("setting smtp.interval_secs must be at least 1");
        }
        let settings = mail::SmtpSettings {
            host: host.clone(),
            port,
            security,
            username: self.username.clone(),
            password,
            from,
            timeout_secs: self.timeout_secs.unwrap_or(10),
        };
        let mailer = mail::SmtpMailer::new(&settings).map_err(|e| match e {
            mail::MailError::InvalidAddress { reason, .. } => {
                anyhow::anyhow!("setting smtp.from is not an e-mail address: {reason}")
            }
            other => anyhow::anyhow!("settings [smtp] (smtp.host, smtp.security): {other}"),
        })?;
        Ok(Smtp {
            mailer,
            interval: Duration::from_secs(interval_secs),
            server: format!("{host}:{port}"),
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            public_url: None,
            demo: true,
            blobs: None,
            smtp: None,
            ca: None,
            payments: None,
        }
    }
}

#[derive(Serialize)]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    demo: Option<bool>,
}

impl Settings {
    pub fn load(flags: &Flags) -> Result<Settings> {
        let file = flags
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("certdesk.toml"));
        if flags.config.is_some() && !file.exists() {
            anyhow::bail!("settings file {} does not exist", file.display());
        }
        // Secrets of the CA never sit in the settings file, which is often shared or committed.
        let in_file = Figment::from(Toml::file(&file));
        for (key, instead) in [
            (
                "ca.passphrase",
                "CERTDESK_CA__PASSPHRASE or ca.passphrase_file",
            ),
            (
                "ca.pkcs11.pin",
                "CERTDESK_CA__PKCS11__PIN or ca.pkcs11.pin_file",
            ),
        ] {
            if in_file.find_value(key).is_ok() {
                anyhow::bail!(
                    "setting {key} must not be written in {}: give it in {instead}",
                    file.display()
                );
            }
        }
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            // `__` nests: CERTDESK_SMTP__PASSWORD is smtp.password.
            .merge(Env::prefixed("CERTDESK_").split("__").ignore(&["config"]))
            .merge(Serialized::defaults(Overrides {
                listen: flags.listen.clone(),
                data_dir: flags.data_dir.clone(),
                database_url: flags.database_url.clone(),
                public_url: flags.public_url.clone(),
                demo: flags.no_demo.then_some(false),
            }))
            .extract()
            .with_context(|| {
                format!(
                    "reading settings ({} and CERTDESK_* variables)",
                    file.display()
                )
            })
    }

    pub fn database_url(&self) -> Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("creating the data directory {}", self.data_dir.display())
                })?;
                Ok(sqlite_url(&self.data_dir.join("certdesk.db")))
            }
        }
    }

    pub fn blob_settings(&self) -> blobs::BlobSettings {
        self.blobs.clone().unwrap_or_else(|| {
            blobs::BlobSettings::Local(blobs::LocalSettings {
                dir: self.data_dir.join("blobs"),
            })
        })
    }

    /// The address people reach certdesk at, for links and payment codes.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// The database URL without a password, for messages.
    pub fn database_url_for_display(&self) -> String {
        match &self.database_url {
            None => sqlite_url(&self.data_dir.join("certdesk.db")),
            Some(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let userinfo = &url[scheme + 3..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
                }
                _ => url.clone(),
            },
        }
    }

    /// The `[ca]` section, empty when absent.
    pub fn ca(&self) -> CaSection {
        self.ca.clone().unwrap_or_default()
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own (large) error.
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        let s = Settings {
            database_url: Some("postgres://certdesk:s3cret@db:5432/certdesk".into()),
            ..Settings::default()
        };
        assert_eq!(
            s.database_url_for_display(),
            "postgres://certdesk:***@db:5432/certdesk"
        );
    }

    #[test]
    fn flags_beat_environment_beats_the_file_beats_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "certdesk.toml",
                "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/certdesk\"\ndemo = false\n",
            )?;
            jail.set_env("CERTDESK_DATA_DIR", "/var/lib/certdesk");
            jail.set_env("CERTDESK_DATABASE_URL", "postgres://env@db/certdesk");
            let flags = Flags {
                database_url: Some("postgres://flag@db/certdesk".into()),
                ..Flags::default()
            };
            let s = Settings::load(&flags).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "0.0.0.0:9000");
            assert_eq!(s.data_dir, PathBuf::from("/var/lib/certdesk"));
            assert_eq!(
                s.database_url.as_deref(),
                Some("postgres://flag@db/certdesk")
            );
            assert!(!s.demo);
            Ok(())
        });
    }

    #[test]
    fn defaults_serve_a_demo_on_sqlite_in_the_data_dir() {
        figment::Jail::expect_with(|_| {
            let s = Settings::load(&Flags::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "127.0.0.1:8080");
            assert_eq!(
                s.database_url_for_display(),
                "sqlite://data/certdesk.db?mode=rwc"
            );
            assert!(s.demo);
            Ok(())
        });
    }

    #[test]
    fn smtp_is_off_unless_configured() {
        figment::Jail::expect_with(|_| {
            let s = Settings::load(&Flags::default()).map_err(|e| e.to_string())?;
            assert!(s.smtp.is_none());
            Ok(())
        });
    }

    #[test]
    fn smtp_password_comes_from_the_environment_and_ports_follow_security() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "certdesk.toml",
                "[smtp]\nhost = \"smtp.example.cn\"\nsecurity = \"tls\"\nusername = \"noreply@example.cn\"\nfrom = \"certdesk <noreply@example.cn>\"\n",
            )?;
            jail.set_env("CERTDESK_SMTP__PASSWORD", "hunter2");
            let s = Settings::load(&Flags::default()).map_err(|e| e.to_string())?;
            let section = s.smtp.clone().expect("an [smtp] section");
            assert_eq!(section.password.as_deref(), Some("hunter2"));
            assert!(!format!("{s:?}").contains("hunter2"), "{s:?}");
            let smtp = section.mailer().map_err(|e| e.to_string())?;
            assert_eq!(smtp.server, "smtp.example.cn:465");
            assert_eq!(smtp.interval, Duration::from_secs(10));
            Ok(())
        });
    }

    #[test]
    fn smtp_password_file_is_read_and_cannot_double_the_password() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("smtp-password", "s3cret\n")?;
            jail.create_file(
                "certdesk.toml",
                "[smtp]\nhost = \"smtp.example.cn\"\nusername = \"u\"\npassword_file = \"smtp-password\"\nfrom = \"noreply@example.cn\"\n",
            )?;
            let s = Settings::load(&Flags::default()).map_err(|e| e.to_string())?;
            let section = s.smtp.expect("an [smtp] section");
            let smtp = section.mailer().map_err(|e| e.to_string())?;
            assert_eq!(smtp.server, "smtp.example.cn:587");

            let both = SmtpSection {
                password: Some("x".into()),
                ..section
            };
            let err = both.mailer().err().expect("refused").to_string();
            assert!(err.contains("smtp.password_file"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn smtp_mistakes_name_the_setting() {
        let good = SmtpSection {
            host: Some("smtp.example.cn".into()),
            from: Some("noreply@example.cn".into()),
            ..SmtpSection::default()
        };
        assert!(good.mailer().is_ok());
        let cases = [
            (
                SmtpSection {
                    host: None,
                    ..good.clone()
                },
                "smtp.host",
            ),
            (
                SmtpSection {
                    from: Some(" ".into()),
                    ..good.clone()
                },
                "smtp.from",
            ),
            (
                SmtpSection {
                    from: Some("noreply".into()),
                    ..good.clone()
                },
                "smtp.from",
            ),
            (
                SmtpSection {
                    username: Some("u".into()),
                    ..good.clone()
                },
                "smtp.username",
            ),
            (
                SmtpSection {
                    password: Some("p".into()),
                    ..good.clone()
                },
                "smtp.username",
            ),
            (
                SmtpSection {
                    timeout_secs: Some(0),
                    ..good.clone()
                },
                "smtp.timeout_secs",
            ),
            (
                SmtpSection {
                    interval_secs: Some(0),
                    ..good.clone()
                },
                "smtp.interval_secs",
            ),
            (
                SmtpSection {
                    password_file: Some("/nonexistent/pw".into()),
                    username: Some("u".into()),
                    ..good.clone()
                },
                "smtp.password_file",
            ),
        ];
        for (section, setting) in cases {
            let err = section.mailer().err().expect(setting).to_string();
            assert!(err.contains(setting), "{setting}: {err}");
        }
    }

    #[test]
    fn a_ca_passphrase_in_the_file_is_refused_but_taken_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("certdesk.toml", "[ca]\npassphrase = \"s3cret\"\n")?;
            let err = Settings::load(&Flags::default())
                .expect_err("refused")
                .to_string();
            assert!(
                err.contains("ca.passphrase") && err.contains("CERTDESK_CA__PASSPHRASE"),
                "{err}"
            );

            jail.create_file("certdesk.toml", "[ca]\norganisation = \"某某CA\"\n")?;
            jail.set_env("CERTDESK_CA__PASSPHRASE", "s3cret");
            let s = Settings::load(&Flags::default()).map_err(|e| e.to_string())?;
            assert!(!format!("{s:?}").contains("s3cret"));
            let keys = s.ca().key_source(false).map_err(|e| e.to_string())?;
            assert!(matches!(keys, Some(app::ca::KeySource::File { .. })));
            assert_eq!(s.ca().names().organisation, "某某CA");
            let err = s.ca().key_source(true).expect_err("no token").to_string();
            assert!(err.contains("ca.pkcs11.module"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn https_public_url_marks_cookies_secure() {
        let mut s = Settings::default();
        assert!(!s.secure_cookies());
        s.public_url = Some("https://ca.example.com".into());
        assert!(s.secure_cookies());
    }
}
