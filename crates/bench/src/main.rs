//! `certdesk-bench`: seeds a fresh database and measures 订单管理 and 代办事宜.
//!
//! cargo run --release -p certdesk-bench -- --backend sqlite --orders 1000000 --users 50 --seconds 20
//! cargo run --release -p certdesk-bench -- --backend postgres \
//!     --url postgres://postgres@127.0.0.1:5432/postgres --orders 1000000 --users 50 --seconds 20

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use sqlx::{Connection, Executor};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(about = "Benchmark of 订单管理 and 代办事宜 (app::applications::list and queue)")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// PostgreSQL server to create the benchmark's own database on (dropped afterwards).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    url: String,
    /// Where the SQLite file goes (a temporary directory inside it, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    orders: usize,
    /// Signed-in people working at once: one in five a reviewer.
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Each person's mean pause between requests, in milliseconds (uniform, 0 to twice
    /// this). 0: no pause, every person always has a request in flight.
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    /// How long the timed run lasts.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the seeded database (to look at query plans, or to `--reuse` it) and print where it is.
    #[arg(long)]
    keep: bool,
    /// Run again on a database kept with `--keep` (its URL), without seeding. Needs the
    /// same `--orders` and `--seed`, and `--drawn-at` as printed when it was seeded.
    #[arg(long, requires = "drawn_at")]
    reuse: Option<String>,
    /// When the reused database's plan was drawn (printed after seeding).
    #[arg(long)]
    drawn_at: Option<jiff::Timestamp>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = bench::Options {
        orders: args.orders,
        users: args.users.max(1),
        seconds: args.seconds,
        seed: args.seed,
        reuse: args.drawn_at,
        think: std::time::Duration::from_millis(args.think_ms),
    };
    if let Some(url) = &args.reuse {
        print!("{}", bench::run(url, &options).await?);
        return Ok(());
    }
    let report = match args.backend {
        Backend::Sqlite => {
            let dir = match &args.dir {
                Some(d) => tempfile::tempdir_in(d)?,
                None => tempfile::tempdir()?,
            };
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            let report = bench::run(&url, &options).await?;
            if args.keep {
                eprintln!("kept {url}");
                let _ = dir.keep();
            }
            report
        }
        Backend::Postgres => {
            sqlx::any::install_default_drivers();
            let name = format!("certdesk_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::AnyConnection::connect(&args.url).await?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            let url = match args.url.rfind('/') {
                Some(i) => format!("{}/{name}", &args.url[..i]),
                None => anyhow::bail!("a PostgreSQL url names a database: {}", args.url),
            };
            let result = bench::run(&url, &options).await;
            if args.keep {
                eprintln!("kept {url}");
            } else {
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
            }
            admin.close().await?;
            result?
        }
    };
    print!("{report}");
    Ok(())
}
