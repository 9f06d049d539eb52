//! `certdesk-cabench`: the Rust half of the CA speed comparison that `bench/ca/run.sh`
//! runs (see crates/bench/README.md, "The CA"). Each subcommand works on the database of
//! a `certdesk` data directory whose CA `certdesk ca init` made.
//!
//! certdesk-cabench orders   --database-url URL --count 300000 --bodies bodies.tsv
//! certdesk-cabench ocsp-set --database-url URL --good 100 --revoked 100 --out DIR
//! certdesk-cabench crl      --database-url URL --revoked 1000000 --out crl.der
//! certdesk-cabench count    --database-url URL

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(about = "The CA benchmark's seeding and CRL timing (run by bench/ca/run.sh)")]
struct Args {
    /// The certdesk database (sqlite://…?mode=rwc or postgres://…).
    #[arg(long, global = true, default_value = "")]
    database_url: String,
    /// The public URL certdesk serve runs with (it goes into certificates' AIA and CDP).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    public_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Seed an operator and approved 新办 orders at 待制证; write one request body per order.
    Orders {
        #[arg(long)]
        count: usize,
        /// Where the request bodies go: `<application id>\t<JSON>` per line.
        #[arg(long)]
        bodies: PathBuf,
        /// The operator's mobile number (the password is the bench's, printed).
        #[arg(long, default_value = "13900009999")]
        operator_mobile: String,
    },
    /// Issue certificates through the app and revoke some, for OCSP (needs the CA passphrase
    /// in CERTDESK_CA__PASSPHRASE).
    OcspSet {
        #[arg(long, default_value_t = 100)]
        good: usize,
        #[arg(long, default_value_t = 100)]
        revoked: usize,
        /// Writes good.txt and revoked.txt (serials, hex) and one PEM per certificate.
        #[arg(long)]
        out: PathBuf,
    },
    /// Seed revoked certificates in bulk, then time CRL publication through the app.
    Crl {
        #[arg(long, default_value_t = 1_000_000)]
        revoked: usize,
        /// Publications to time (the first one reads the rows from disk).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// The last CRL, DER.
        #[arg(long)]
        out: PathBuf,
        /// Where the CA chain goes (PEM: issuing CA, root), to verify the CRL with.
        #[arg(long)]
        chain: Option<PathBuf>,
    },
    /// How many certificates the CA recorded.
    Count,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(!args.database_url.is_empty(), "--database-url is required");
    let store = store::Store::connect(&args.database_url).await?;
    store.migrate().await?;
    match args.command {
        Command::Orders {
            count,
            bodies,
            operator_mobile,
        } => {
            let operator = bench::ca::orders::Operator {
                mobile: operator_mobile,
                password: bench::seed::PASSWORD.into(),
            };
            let seeded = bench::ca::orders::seed(&store, count, &operator, &bodies).await?;
            eprintln!(
                "seeded {} orders in {:.1} s, their keys and CSRs in {:.1} s",
                seeded.orders,
                seeded.seeded_in.as_secs_f64(),
                seeded.csrs_in.as_secs_f64()
            );
            println!("operator {} {}", operator.mobile, operator.password);
        }
        Command::OcspSet { good, revoked, out } => {
            let (app, _blobs) = app_with_ca(&store, &args.public_url).await?;
            let set = bench::ca::ocsp::issue_set(&app, good, revoked).await?;
            std::fs::create_dir_all(&out)?;
            write_set(&out, "good", &set.good)?;
            write_set(&out, "revoked", &set.revoked)?;
            std::fs::write(
                out.join("chain.pem"),
                app.ca()
                    .map(|c| c.chain_pem().to_owned())
                    .unwrap_or_default(),
            )?;
            eprintln!(
                "issued {} certificates, revoked {}",
                set.good.len() + set.revoked.len(),
                set.revoked.len()
            );
        }
        Command::Crl {
            revoked,
            repeat,
            out,
            chain,
        } => {
            let seeded_in = bench::ca::crl::seed_revoked(&store, revoked).await?;
            eprintln!(
                "seeded {revoked} revoked certificates in {:.1} s",
                seeded_in.as_secs_f64()
            );
            let (app, _blobs) = app_with_ca(&store, &args.public_url).await?;
            if let (Some(chain), Some(ca)) = (chain, app.ca()) {
                std::fs::write(chain, ca.chain_pem())?;
            }
            let mut last = None;
            for _ in 0..repeat.max(1) {
                let published = bench::ca::crl::publish(&app).await?;
                println!(
                    "crl number={} seconds={:.3} bytes={}",
                    published.number,
                    published.took.as_secs_f64(),
                    published.der.len()
                );
                last = Some(published);
            }
            if let Some(p) = last {
                let n = bench::ca::crl::entries(&p.der)?;
                println!("crl entries={n}");
                std::fs::write(&out, &p.der)?;
            }
        }
        Command::Count => {
            let mut conn = store.conn().await?;
            println!("{}", store::ca::count_certificates(&mut conn).await?);
        }
    }
    store.close().await;
    Ok(())
}

fn write_set(dir: &Path, name: &str, set: &[(String, String)]) -> anyhow::Result<()> {
    let serials: String = set.iter().map(|(s, _)| format!("{s}\n")).collect();
    std::fs::write(dir.join(format!("{name}.txt")), serials)?;
    for (serial, pem) in set {
        std::fs::write(dir.join(format!("{serial}.pem")), pem)?;
    }
    Ok(())
}

/// The app over `store`, with the stored CA opened by the passphrase `certdesk serve` uses.
async fn app_with_ca(
    store: &store::Store,
    public_url: &str,
) -> anyhow::Result<(app::App, tempfile::TempDir)> {
    let passphrase = std::env::var("CERTDESK_CA__PASSPHRASE")
        .map_err(|_| anyhow::anyhow!("CERTDESK_CA__PASSPHRASE is not set"))?;
    let dir = tempfile::tempdir()?;
    let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
        dir: dir.path().to_path_buf(),
    }))
    .await?;
    let app = app::App::new(store.clone(), blobs, public_url);
    let ca = app::ca::load(&app, &app::ca::KeySource::file(passphrase.into()))
        .await
        .map_err(|e| anyhow::anyhow!("opening the CA: {e}"))?;
    Ok((app.with_ca(Arc::clone(&ca)), dir))
}
