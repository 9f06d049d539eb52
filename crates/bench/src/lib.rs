//! A benchmark of the two lists people read most: the applicant's 订单管理
//! (`app::applications::list`) and the reviewer's 代办事宜 (`app::applications::queue`),
//! on a database seeded with many orders, under many signed-in people at once.
//!
//! It calls the same `app` functions the pages and the API call; the seeding goes
//! through `store::bulk` so a million orders take a minute, not an hour. Before the
//! timed run, the answers are compared with what the seeded data says they must be.
//! See `README.md` for how to run it and the figures measured.

pub mod ca;
pub mod expect;
pub mod load;
pub mod plan;
pub mod seed;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::App;
use store::Store;

pub use load::Figures;
pub use seed::Seeded;

#[derive(Clone, Debug)]
pub struct Options {
    pub orders: usize,
    pub users: usize,
    pub seconds: f64,
    pub seed: u64,
    /// Run on a database this benchmark seeded before (with `--keep`), whose plan was
    /// drawn at this instant: no seeding, the same answers expected.
    pub reuse: Option<jiff::Timestamp>,
    /// Each person's mean pause between two requests (reading the page); zero for none,
    /// which keeps every person's next request always in flight (a saturation test).
    pub think: Duration,
}

pub struct Report {
    pub backend: store::Backend,
    pub cores: usize,
    pub options: Options,
    pub seeded: Seeded,
    /// Orders waiting for review (代办事宜 without a filter).
    pub queued: usize,
    /// The largest organisation's number of orders.
    pub largest_org: usize,
    pub applicants: usize,
    pub reviewers: usize,
    /// Answers compared exactly with the seeded data before the timed run.
    pub verified: usize,
    pub elapsed: Duration,
    pub figures: Vec<Figures>,
    pub first_mismatch: Option<String>,
}

/// Seeds the (empty) database at `url`, signs people in, checks their answers, then
/// runs them for `options.seconds`.
pub async fn run(url: &str, options: &Options) -> anyhow::Result<Report> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let plan = Arc::new(plan::Plan::draw(
        options.orders,
        options.seed,
        options.reuse.unwrap_or_else(jiff::Timestamp::now),
    ));
    let seeded = match options.reuse {
        Some(_) => plan.seeded(),
        None => {
            eprintln!(
                "seeding {} orders, {} organisations …",
                plan.orders.len(),
                plan.orgs.len()
            );
            let seeded = seed::seed(&store, &plan, options.seed).await?;
            eprintln!(
                "seeded in {:.1} s (plan drawn at {}: `--reuse` it with `--keep`)",
                seeded.took.as_secs_f64(),
                plan.now
            );
            seeded
        }
    };

    let blob_dir = tempfile::tempdir()?;
    let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
        dir: blob_dir.path().to_path_buf(),
    }))
    .await?;
    let app = App::new(store.clone(), blobs, "http://bench.invalid");
    let actors = load::sign_in_all(&app, &plan, options.users, options.seed).await?;
    let verified = load::verify(&app, &plan, &actors).await?;
    eprintln!("{verified} answers match the seeded data; running …");

    let queued: Arc<Vec<u32>> = Arc::new(
        (0..plan.orders.len() as u32)
            .filter(|&k| plan::REVIEW.contains(&plan.orders[k as usize].status))
            .collect(),
    );
    let applicants = actors
        .iter()
        .filter(|a| matches!(a.role, load::Role::Applicant { .. }))
        .count();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(options.seconds);
    let mut tasks = Vec::new();
    for (worker, actor) in actors.into_iter().enumerate() {
        tasks.push(tokio::spawn(load::work(
            app.clone(),
            plan.clone(),
            Arc::new(actor),
            queued.clone(),
            worker,
            load::Pace {
                until,
                seed: options.seed,
                think: options.think,
            },
        )));
    }
    let mut latencies = vec![Vec::new(); load::OPERATIONS.len()];
    let mut mismatches = vec![0; load::OPERATIONS.len()];
    let mut first_mismatch = None;
    for t in tasks {
        let rec = t.await?;
        for (all, mine) in latencies.iter_mut().zip(rec.latencies) {
            all.extend(mine);
        }
        for (all, mine) in mismatches.iter_mut().zip(rec.mismatches) {
            *all += mine;
        }
        if first_mismatch.is_none() {
            first_mismatch = rec.first_mismatch;
        }
    }
    let elapsed = started.elapsed();
    let mut figures: Vec<Figures> = load::OPERATIONS
        .iter()
        .zip(latencies.iter().zip(&mismatches))
        .map(|(op, (l, m))| load::figures(op, l.clone(), elapsed, *m))
        .collect();
    for (name, prefix) in [("list (all)", "list."), ("queue (all)", "queue.")] {
        let (l, m) = load::OPERATIONS
            .iter()
            .zip(latencies.iter().zip(&mismatches))
            .filter(|(op, _)| op.starts_with(prefix))
            .fold((Vec::new(), 0), |(mut l, m), (_, (mine, n))| {
                l.extend_from_slice(mine);
                (l, m + n)
            });
        figures.push(load::figures(name, l, elapsed, m));
    }
    store.close().await;
    let per_org = plan.orders_per_org();
    Ok(Report {
        backend: store.backend(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        options: options.clone(),
        seeded,
        queued: queued.len(),
        largest_org: per_org.iter().copied().max().unwrap_or(0),
        applicants,
        reviewers: options.users - applicants,
        verified,
        elapsed,
        figures,
        first_mismatch,
    })
}

impl Report {
    pub fn figures_of(&self, operation: &str) -> Option<&Figures> {
        self.figures.iter().find(|f| f.operation == operation)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.seeded;
        writeln!(
            f,
            "backend {:?}, {} cores, {} users ({} applicants, {} reviewers), think time {} ms, {:.1} s",
            self.backend,
            self.cores,
            self.options.users,
            self.applicants,
            self.reviewers,
            self.options.think.as_millis(),
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "seeded in {:.1} s: {} applications, {} organisations (largest {} orders), {} users, \
             {} memberships, {} individuals; {} waiting for review",
            s.took.as_secs_f64(),
            s.applications,
            s.organisations,
            self.largest_org,
            s.users,
            s.memberships,
            s.individuals,
            self.queued
        )?;
        writeln!(
            f,
            "{} answers checked against the seeded data before the run",
            self.verified
        )?;
        writeln!(
            f,
            "{:<20} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
            "operation", "count", "per s", "median", "p90", "p99", "max", "wrong"
        )?;
        for x in &self.figures {
            writeln!(
                f,
                "{:<20} {:>8} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6}",
                x.operation,
                x.count,
                x.per_second,
                x.median_ms,
                x.p90_ms,
                x.p99_ms,
                x.max_ms,
                x.mismatches
            )?;
        }
        writeln!(f, "(latencies in ms)")?;
        if let Some(m) = &self.first_mismatch {
            writeln!(f, "first wrong answer: {m}")?;
        }
        Ok(())
    }
}
