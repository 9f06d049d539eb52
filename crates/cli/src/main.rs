//! The `certdesk` binary: `serve`, `migrate`, `ca init`, `admin create-user`, `demo seed`,
//! and `token` (the USB-key tool, `src/token/`).
//!
//! Settings come from, in rising precedence: defaults, `certdesk.toml` (or the file
//! named by `--config`), `CERTDESK_*` environment variables, command-line flags.

mod settings;
mod token;

use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use settings::{Flags, Settings};

#[derive(Parser)]
#[command(name = "certdesk", version, about = "CA certificate service desk")]
struct Cli {
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default). Applies migrations; on an empty database
    /// in demo mode, creates demo accounts and prints them.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The certificate authority.
    Ca {
        #[command(subcommand)]
        command: CaCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The USB-key tool: keys, requests, certificates and 测试盖章 on a PKCS#11 token.
    Token(token::TokenArgs),
}

#[derive(Subcommand)]
enum CaCommand {
    /// Create the CA (root, issuing CA, OCSP responder) in the database. Keys are encrypted
    /// under CERTDESK_CA__PASSPHRASE (or ca.passphrase_file), or made in the PKCS#11 token
    /// of [ca.pkcs11] with --pkcs11. Refused when a CA exists.
    Init {
        #[arg(long, default_value = "p256", value_parser = ["p256", "rsa3072", "sm2"])]
        algorithm: String,
        /// Keep the keys in the PKCS#11 token of [ca.pkcs11] (P-256 only).
        #[arg(long)]
        pkcs11: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    CreateUser {
        #[arg(long, value_parser = ["applicant", "reviewer", "operator", "finance", "admin"])]
        role: String,
        /// Mobile number: the login.
        #[arg(long)]
        mobile: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from standard input (one line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create the demo accounts and organisation (once) and print their passwords.
    Seed,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // The USB-key tool runs on the holder's machine: no settings, database or server.
    let command = match cli.command {
        Some(Command::Token(args)) => {
            if let Err(e) = token::run(args) {
                eprintln!("错误：{e}");
                std::process::exit(1);
            }
            return Ok(());
        }
        other => other.unwrap_or(Command::Serve),
    };
    let settings = Settings::load(&cli.flags)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(command, settings))
}

async fn open_app(settings: &Settings, store: store::Store) -> Result<app::App> {
    let blobs = blobs::BlobStore::open(&settings.blob_settings())
        .await
        .context("opening the document store")?;
    let public_url = settings.public_url();
    let section = settings.payments.clone().unwrap_or_default();
    let providers = payment_providers(&section, &store, &public_url)?;
    let validity = jiff::SignedDuration::from_mins(i64::from(section.code_minutes.unwrap_or(120)));
    Ok(app::App::new(store, blobs, &public_url)
        .with_payments(providers)
        .with_payment_validity(validity))
}

/// The providers `[payments]` names, each opened from its own section. A missing or
/// malformed key stops the server here, naming the setting.
fn payment_providers(
    section: &settings::PaymentsSection,
    store: &store::Store,
    public_url: &str,
) -> Result<Vec<std::sync::Arc<dyn app::payments::Provider>>> {
    use std::sync::Arc;
    let names = section
        .providers
        .clone()
        .unwrap_or_else(|| vec!["sandbox".into()]);
    if names.is_empty() {
        anyhow::bail!("setting `payments.providers`: name at least one of sandbox, wechat, alipay");
    }
    let notify_url = |name: &str| format!("{public_url}/pay/notify/{name}");
    let missing = |name: &str| {
        anyhow::anyhow!("setting `payments.{name}`: missing, and `payments.providers` names {name}")
    };
    let mut providers: Vec<Arc<dyn app::payments::Provider>> = Vec::new();
    for name in &names {
        let provider: Arc<dyn app::payments::Provider> = match name.as_str() {
            "sandbox" => Arc::new(app::payments::Sandbox::new(store.clone(), public_url)),
            "wechat" => {
                let s = section.wechat.as_ref().ok_or_else(|| missing("wechat"))?;
                Arc::new(pay::wechat::WechatPay::from_settings(
                    s,
                    &notify_url("wechat"),
                )?)
            }
            "alipay" => {
                let s = section.alipay.as_ref().ok_or_else(|| missing("alipay"))?;
                Arc::new(pay::alipay::Alipay::from_settings(
                    s,
                    &notify_url("alipay"),
                )?)
            }
            other => anyhow::bail!(
                "setting `payments.providers`: unknown provider `{other}` (sandbox, wechat, alipay)"
            ),
        };
        providers.push(provider);
    }
    println!("payments: {}", names.join(", "));
    Ok(providers)
}

async fn open_store(settings: &Settings) -> Result<store::Store> {
    let url = settings.database_url()?;
    let store = store::Store::connect(&url).await.with_context(|| {
        format!(
            "connecting to the database ({})",
            settings.database_url_for_display()
        )
    })?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

async fn run(command: Command, settings: Settings) -> Result<()> {
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!(
                "migrations applied ({})",
                settings.database_url_for_display()
            );
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    role,
                    mobile,
                    name,
                    email,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_to_string(&mut line)
                    .context("reading the password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                String::new()
            };
            let app = open_app(&settings, open_store(&settings).await?).await?;
            let input = app::admin::CreateUserInput {
                mobile,
                name,
                role,
                email,
                password,
            };
            match app::admin::create_user(&app, &app::Actor::system(), &input).await {
                Ok(created) => {
                    println!("created user {} ({})", created.user_id, input.role);
                    if let Some(pw) = created.generated_password {
                        println!(
                            "initial password (shown once; must be changed at first sign-in): {pw}"
                        );
                    }
                    Ok(())
                }
                Err(app::Error::Invalid(errors)) => {
                    let catalog = &*web::CATALOG;
                    let t = catalog.tr(web::Lang::Zh);
                    for e in errors.iter() {
                        eprintln!("--{}: {}", e.field.replace('_', "-"), t.get(e.key));
                    }
                    bail!("the account was not created")
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
        Command::Ca {
            command: CaCommand::Init { algorithm, pkcs11 },
        } => {
            let section = settings.ca();
            let Some(keys) = section.key_source(pkcs11)? else {
                bail!(
                    "ca init needs a passphrase for the CA keys: set CERTDESK_CA__PASSPHRASE or ca.passphrase_file (or use --pkcs11 with [ca.pkcs11])"
                );
            };
            let algorithm = app::ca::CaAlgorithm::parse(&algorithm)
                .ok_or_else(|| anyhow::anyhow!("--algorithm: p256, rsa3072 or sm2"))?;
            let app = open_app(&settings, open_store(&settings).await?).await?;
            let options = app::ca::InitOptions {
                algorithm,
                names: section.names(),
            };
            let made = init_ca(&app, &keys, &options).await?;
            println!(
                "CA created ({:?}): root serial {}, issuing CA serial {}",
                made.algorithm, made.root_serial, made.issuing_serial
            );
            println!(
                "the root certificate is served at {}/ca/root.crt; `certdesk serve` opens the CA with the same settings",
                settings.public_url()
            );
            Ok(())
        }
        Command::Demo {
            command: DemoCommand::Seed,
        } => {
            let app = open_app(&settings, open_store(&settings).await?).await?;
            if !app::demo::is_empty(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                bail!(
                    "the database has accounts already; demo data is only seeded into an empty database"
                );
            }
            seed_and_print(&app, &settings.data_dir).await
        }
        // Handled in `main` before settings are read.
        Command::Token(_) => bail!("`certdesk token` runs without the server settings"),
    }
}

async fn init_ca(
    app: &app::App,
    keys: &app::ca::KeySource,
    options: &app::ca::InitOptions,
) -> Result<app::ca::Initialised> {
    match app::ca::init(app, &app::Actor::system(), keys, options).await {
        Ok(made) => Ok(made),
        Err(app::Error::Refused("ca.exists")) => {
            bail!("a CA exists in this database already; ca init never replaces one")
        }
        Err(app::Error::Refused("ca.pkcs11_p256_only")) => {
            bail!("a CA in a PKCS#11 token is P-256 only: use --algorithm p256")
        }
        Err(e) => Err(anyhow::anyhow!("creating the CA: {e}")),
    }
}

/// Opens the CA for `serve`. In demo mode, a database without one gets one, its passphrase
/// generated and written to `<data-dir>/ca-passphrase`. None when there is no CA (outside
/// demo mode): the CA routes then answer 503.
async fn open_ca(
    settings: &Settings,
    app: &app::App,
) -> Result<Option<std::sync::Arc<app::ca::Ca>>> {
    let section = settings.ca();
    let demo_file = settings.data_dir.join("ca-passphrase");
    let mut keys = section.key_source(false)?;
    if keys.is_none() && settings.demo && demo_file.exists() {
        let text = std::fs::read_to_string(&demo_file)
            .with_context(|| format!("reading {}", demo_file.display()))?;
        keys = Some(app::ca::KeySource::file(zeroize::Zeroizing::new(
            text.trim_end_matches(['\r', '\n']).to_owned(),
        )));
    }
    let exists = app::ca::exists(app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !exists {
        if !settings.demo {
            println!(
                "no CA yet: run `certdesk ca init` (the CA routes /ca, /crl and /ocsp answer 503 until then)"
            );
            return Ok(None);
        }
        let keys = match keys.take() {
            Some(k) => k,
            None => {
                let passphrase = app::ca::generate_passphrase(app);
                write_private(&demo_file, &format!("{}\n", passphrase.as_str()))
                    .with_context(|| format!("writing {}", demo_file.display()))?;
                println!(
                    "demo: a CA is created; its key passphrase is in {} (keep it: the CA cannot be opened without it)",
                    demo_file.display()
                );
                app::ca::KeySource::file(passphrase)
            }
        };
        let options = app::ca::InitOptions {
            names: section.names(),
            ..app::ca::InitOptions::default()
        };
        if let Err(e) = init_ca(app, &keys, &options).await {
            // Another instance may have created it at the same moment: open that one.
            tracing::warn!(error = %e, "demo CA not created");
        }
        return load_ca(app, &keys).await.map(Some);
    }
    let Some(keys) = keys else {
        bail!(
            "the CA keys need their passphrase: set CERTDESK_CA__PASSPHRASE or ca.passphrase_file (or [ca.pkcs11] for a token)"
        );
    };
    load_ca(app, &keys).await.map(Some)
}

async fn load_ca(app: &app::App, keys: &app::ca::KeySource) -> Result<std::sync::Arc<app::ca::Ca>> {
    let ca = app::ca::load(app, keys)
        .await
        .map_err(|e| anyhow::anyhow!("opening the CA: {e}"))?;
    println!(
        "CA loaded ({:?}, CRL number {})",
        ca.algorithm(),
        ca.revision()
    );
    Ok(ca)
}

async fn seed_and_print(app: &app::App, data_dir: &Path) -> Result<()> {
    let accounts = app::demo::seed(app)
        .await
        .map_err(|e| anyhow::anyhow!("seeding demo data: {e}"))?;
    let mut text =
        String::from("certdesk demo accounts (sign in with mobile number and password):\n");
    for a in &accounts {
        text.push_str(&format!(
            "  {:<48} {}  {}  password: {}\n",
            a.label, a.mobile, a.name, a.password
        ));
    }
    println!("\n{text}");
    let file = data_dir.join("demo-accounts.txt");
    write_private(&file, &text).with_context(|| format!("writing {}", file.display()))?;
    println!("(also written to {})\n", file.display());
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())?;
    Ok(())
}

async fn serve(settings: Settings) -> Result<()> {
    // Checked before anything starts, so a mistake is reported at once.
    let smtp = settings.smtp.as_ref().map(|s| s.mailer()).transpose()?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "creating the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let store = open_store(&settings).await?;
    let app = open_app(&settings, store.clone()).await?;
    if settings.demo
        && app::demo::is_empty(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        && let Err(e) = seed_and_print(&app, &settings.data_dir).await
    {
        // Another instance may have seeded at the same moment: that is fine.
        tracing::warn!(error = %e, "demo data not seeded");
    }
    let app = match open_ca(&settings, &app).await? {
        Some(ca) => {
            let app = app.with_ca(ca);
            // Revocations made by other instances reach this one's OCSP answers within a second.
            tokio::spawn(app::ca::watch::watch(app.clone(), Duration::from_secs(1)));
            app
        }
        None => app,
    };
    spawn_housekeeping(app.clone());
    spawn_reconciliation(app.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sender = match smtp {
        Some(smtp) => {
            println!("e-mail is sent through {}", smtp.server);
            let mut stopped = stopped;
            Some(tokio::spawn(app::outbox::run_sender(
                app.clone(),
                smtp.mailer,
                smtp.interval,
                async move {
                    // A dropped sender (the server ended) stops it too.
                    let _ = stopped.wait_for(|s| *s).await;
                },
            )))
        }
        None => {
            println!("no [smtp] settings: e-mails stay in the outbox for admins (/admin/outbox)");
            None
        }
    };
    let state = web::AppState::new(
        app,
        web::WebConfig {
            secure_cookies: settings.secure_cookies(),
        },
    );
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "certdesk is running at http://{addr}  (database: {})",
        settings.database_url_for_display()
    );
    axum::serve(listener, web::router(state))
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        })
        .await
        .context("serving")?;
    if let Some(sender) = sender {
        // The round in progress is finished; a mail cut off later is retried after its lease.
        if tokio::time::timeout(Duration::from_secs(30), sender)
            .await
            .is_err()
        {
            tracing::warn!("outbox sender did not stop within 30 s");
        }
    }
    store.close().await;
    Ok(())
}

/// Asks the payment providers about codes and refunds left open, every minute; one
/// instance at a time does it (a lease in the database).
fn spawn_reconciliation(app: app::App) {
    tokio::spawn(async move {
        let every = app::payments::reconcile::EVERY.unsigned_abs();
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match app::payments::reconcile(&app).await {
                Ok(r) if r.ran => tracing::debug!(
                    paid = r.paid,
                    closed = r.closed,
                    refunds = r.refunds,
                    "payments reconciled"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "payment reconciliation failed"),
            }
        }
    });
}

/// Runs the periodic clean-up, the CA's periodic work and the expiry reminders every hour.
fn spawn_housekeeping(app: app::App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match app::housekeeping::purge_expired(&app).await {
                Ok(p) => tracing::debug!(
                    sessions = p.sessions,
                    failures = p.sign_in_failures,
                    "housekeeping done"
                ),
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
            // A CRL a day old is replaced; a responder certificate near its end is renewed.
            match app::housekeeping::maintain_ca(&app).await {
                Ok(m) => {
                    tracing::debug!(crl = ?m.crl, responder = m.responder_renewed, "CA maintained")
                }
                Err(e) => tracing::warn!(error = %e, "CA maintenance failed"),
            }
            // 30, 7 and 1 days before a certificate ends; each reminder once across instances.
            match app::housekeeping::send_reminders(&app).await {
                Ok(r) => tracing::debug!(
                    reminded = r.certificates,
                    under_way = r.under_way,
                    "expiry reminders done"
                ),
                Err(e) => tracing::warn!(error = %e, "expiry reminders failed"),
            }
        }
    });
}
