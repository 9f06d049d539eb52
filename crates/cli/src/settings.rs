//! Settings: defaults ← certdesk.toml ← CERTDESK_* environment ← flags.

use std::path::{Path, PathBuf};

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
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("CERTDESK_").ignore(&["config"]))
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
    fn https_public_url_marks_cookies_secure() {
        let mut s = Settings::default();
        assert!(!s.secure_cookies());
        s.public_url = Some("https://ca.example.com".into());
        assert!(s.secure_cookies());
    }
}
