//! Signed-in people calling `app::applications::list` (订单管理) and
//! `app::applications::queue` (代办事宜): first an exact check of their answers
//! against the plan, then a timed run with every latency recorded.

use std::time::{Duration, Instant};

use app::App;
use app::accounts::{SignInInput, authenticate, sign_in};
use app::applications::{ListQuery, ListView};
use domain::application::Status;

use crate::expect::{self, PAGE_SIZE, Page};
use crate::plan::{Owner, Person, Plan, REVIEW, Rng};
use crate::seed::PASSWORD;

/// Who is acting, and what the timed run needs to know of them.
pub struct Actor {
    pub actor: app::Actor,
    pub role: Role,
}

pub enum Role {
    Applicant {
        owner: Owner,
        /// The organisation's name, `None` for an individual.
        org_name: Option<String>,
        /// Indexes (into `plan.orders`) of the orders they may see.
        orders: Vec<u32>,
    },
    Reviewer,
}

/// The operations, in the order they are reported.
pub const OPERATIONS: [&str; 11] = [
    "list.first",
    "list.page",
    "list.status",
    "list.search_number",
    "queue.first",
    "queue.page",
    "queue.stage",
    "queue.overdue",
    "queue.search_number",
    "queue.search_uscc",
    "queue.search_name",
];
const APPLICANT_OPS: std::ops::Range<usize> = 0..4;
const REVIEWER_OPS: std::ops::Range<usize> = 4..11;

async fn signed_in(app: &App, p: &Person) -> anyhow::Result<app::Actor> {
    let session = sign_in(
        app,
        &SignInInput {
            mobile: p.mobile.clone(),
            password: PASSWORD.into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("sign in {}: {e:?}", p.mobile))?;
    authenticate(app, &session.token)
        .await
        .map_err(|e| anyhow::anyhow!("authenticate: {e:?}"))?
        .map(|s| s.actor)
        .ok_or_else(|| anyhow::anyhow!("no session for {}", p.mobile))
}

/// `users` people: one in five a reviewer (at least one), the rest applicants. The
/// first applicant belongs to the organisation with the most orders; one applicant
/// in ten is an individual; the others belong to organisations drawn by their number
/// of orders, as busy organisations have more people at work.
pub async fn sign_in_all(
    app: &App,
    plan: &Plan,
    users: usize,
    seed: u64,
) -> anyhow::Result<Vec<Actor>> {
    let mut rng = Rng::new(seed.wrapping_add(2));
    let reviewers = (users / 5).max(1).min(users);
    let per_org = plan.orders_per_org();
    let biggest = (0..plan.orgs.len())
        .max_by_key(|&i| per_org[i])
        .unwrap_or(0);
    let mut actors = Vec::with_capacity(users);
    for i in 0..users - reviewers {
        let owner = if i == 0 {
            Owner::Org(biggest as u32)
        } else if i % 10 == 9 {
            Owner::Individual(rng.below(plan.individuals.len() as u64) as u32)
        } else {
            plan.orders[rng.below(plan.orders.len() as u64) as usize].owner
        };
        let (person, org_name) = match owner {
            Owner::Org(o) => {
                let org = &plan.orgs[o as usize];
                (&org.members[i % org.members.len()], Some(org.name.clone()))
            }
            Owner::Individual(n) => (&plan.individuals[n as usize], None),
        };
        let orders = (0..plan.orders.len() as u32)
            .filter(|&k| plan.orders[k as usize].owner == owner)
            .collect();
        actors.push(Actor {
            actor: signed_in(app, person).await?,
            role: Role::Applicant {
                owner,
                org_name,
                orders,
            },
        });
    }
    for i in 0..reviewers {
        actors.push(Actor {
            actor: signed_in(app, &plan.reviewers[i % plan.reviewers.len()]).await?,
            role: Role::Reviewer,
        });
    }
    Ok(actors)
}

fn query() -> ListQuery {
    ListQuery::default()
}

fn page_of(view: &ListView) -> Page {
    Page {
        total: view.total,
        numbers: view.items.iter().map(|i| i.order_number.clone()).collect(),
    }
}

/// Compares the app's answers with the plan's for one applicant and one reviewer,
/// across every kind of operation. Returns how many answers were compared.
pub async fn verify(app: &App, plan: &Plan, actors: &[Actor]) -> anyhow::Result<usize> {
    let mut checked = 0;
    let mut check = |what: String, got: Page, want: Page| -> anyhow::Result<()> {
        checked += 1;
        if got != want {
            anyhow::bail!("{what}: the app answered {got:?}, the data says {want:?}");
        }
        Ok(())
    };
    let applicants = actors
        .iter()
        .filter(|a| matches!(a.role, Role::Applicant { .. }));
    let individual = actors
        .iter()
        .find(|a| matches!(a.role, Role::Applicant { org_name: None, .. }));
    for a in applicants.take(2).chain(individual) {
        let Role::Applicant { owner, orders, .. } = &a.role else {
            continue;
        };
        let some_number = orders
            .last()
            .map(|&k| plan.orders[k as usize].number.to_string());
        let own_name = match owner {
            Owner::Org(i) => Some(name_part(&plan.orgs[*i as usize].name)),
            Owner::Individual(_) => None,
        };
        for (status, q, page) in [
            (None, None, 1),
            (None, None, 2),
            (Some(Status::Completed), None, 1),
            (Some(Status::AwaitingPayment), None, 1),
            (None, some_number.as_deref(), 1),
            (None, Some("CA20000101000001"), 1),
            (None, own_name.as_deref(), 2),
            (None, Some("某某不存在单位"), 1),
        ] {
            let got = app::applications::list(
                app,
                &a.actor,
                &ListQuery {
                    status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    q: q.unwrap_or_default().to_owned(),
                    page: Some(page),
                    ..query()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("list: {e:?}"))?;
            check(
                format!("list of {owner:?} status {status:?} q {q:?} page {page}"),
                page_of(&got),
                expect::list(plan, *owner, status, q, page),
            )?;
        }
    }
    if let Some(r) = actors.iter().find(|a| matches!(a.role, Role::Reviewer)) {
        let queued: Vec<&crate::plan::Order> = plan
            .orders
            .iter()
            .filter(|o| REVIEW.contains(&o.status))
            .collect();
        let sample = queued.get(queued.len() / 2);
        let number = sample.map(|o| o.number.to_string());
        let org = sample.and_then(|o| match o.owner {
            Owner::Org(i) => Some(&plan.orgs[i as usize]),
            Owner::Individual(_) => None,
        });
        let uscc = org.map(|o| o.credit_code.clone());
        let name = org.map(|o| name_part(&o.name));
        type Case<'a> = (&'a str, &'a [Status], bool, Option<&'a str>, u32);
        let cases: Vec<Case> = vec![
            ("", &REVIEW, false, None, 1),
            ("", &REVIEW, false, None, 3),
            ("first", &[Status::AwaitingFirstReview], false, None, 1),
            ("final", &[Status::AwaitingFinalReview], false, None, 2),
            ("", &REVIEW, true, None, 1),
            ("", &REVIEW, false, number.as_deref(), 1),
            ("", &REVIEW, false, uscc.as_deref(), 1),
            ("", &REVIEW, false, name.as_deref(), 1),
            (
                "first",
                &[Status::AwaitingFirstReview],
                true,
                name.as_deref(),
                1,
            ),
            // Every organisation's name has it: the broadest search there is.
            ("", &REVIEW, false, Some("有限公司"), 2),
        ];
        for (stage, statuses, overdue, q, page) in cases {
            let got = app::applications::queue(
                app,
                &r.actor,
                &ListQuery {
                    stage: stage.into(),
                    overdue: if overdue { "yes".into() } else { String::new() },
                    q: q.unwrap_or_default().to_owned(),
                    page: Some(page),
                    ..query()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("queue: {e:?}"))?;
            check(
                format!("queue stage {stage:?} overdue {overdue} q {q:?} page {page}"),
                page_of(&got),
                expect::queue(plan, statuses, overdue, q, page),
            )?;
        }
    }
    Ok(checked)
}

/// The part of an organisation's name people type: "华信科技" of "北京华信科技有限公司".
pub fn name_part(name: &str) -> String {
    name.chars().skip(2).take(4).collect()
}

/// Every latency of one worker, per operation, in microseconds.
pub struct Recorded {
    pub latencies: Vec<Vec<u32>>,
    pub mismatches: Vec<u64>,
    pub first_mismatch: Option<String>,
}

/// Runs `actor`'s operations in turn until `until`.
/// When a person stops, the seed of their choices, and their mean pause between requests.
#[derive(Clone, Copy)]
pub struct Pace {
    pub until: Instant,
    pub seed: u64,
    pub think: Duration,
}

pub async fn work(
    app: App,
    plan: std::sync::Arc<Plan>,
    actor: std::sync::Arc<Actor>,
    queued: std::sync::Arc<Vec<u32>>,
    worker: usize,
    pace: Pace,
) -> Recorded {
    let Pace { until, seed, think } = pace;
    let mut rng = Rng::new(seed.wrapping_add(1_000 + worker as u64));
    let mut rec = Recorded {
        latencies: vec![Vec::new(); OPERATIONS.len()],
        mismatches: vec![0; OPERATIONS.len()],
        first_mismatch: None,
    };
    let ops = match actor.role {
        Role::Applicant { .. } => APPLICANT_OPS,
        Role::Reviewer => REVIEWER_OPS,
    };
    let mut turn = worker;
    // People arrive one by one, not all in the same instant: with a pause between
    // clicks, everyone's first request at once would be a burst no steady load has.
    if !think.is_zero() {
        let arrival = think.mul_f64(2.0 * (rng.below(1_000_000) as f64 / 1_000_000.0));
        tokio::time::sleep(arrival).await;
    }
    while Instant::now() < until {
        let op = ops.start + turn % ops.len();
        turn += 1;
        let (query, want_number) = query_for(&plan, &actor, &queued, op, &mut rng);
        let started = Instant::now();
        let answer = if op < REVIEWER_OPS.start {
            app::applications::list(&app, &actor.actor, &query).await
        } else {
            app::applications::queue(&app, &actor.actor, &query).await
        };
        let took = started.elapsed();
        rec.latencies[op].push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        let problem = match answer {
            Err(e) => Some(format!("{e:?}")),
            Ok(view) => problem_with(
                &actor,
                queued.len(),
                op,
                &query,
                want_number.as_deref(),
                &view,
            ),
        };
        if let Some(p) = problem {
            rec.mismatches[op] += 1;
            rec.first_mismatch
                .get_or_insert_with(|| format!("{}: {p}", OPERATIONS[op]));
        }
        // A person reads the page before the next click: uniformly 0 to twice the mean.
        if !think.is_zero() {
            let pause = think.mul_f64(2.0 * (rng.below(1_000_000) as f64 / 1_000_000.0));
            tokio::time::sleep(pause.min(until.saturating_duration_since(Instant::now()))).await;
        }
    }
    rec
}

fn query_for(
    plan: &Plan,
    actor: &Actor,
    queued: &[u32],
    op: usize,
    rng: &mut Rng,
) -> (ListQuery, Option<String>) {
    let later_page = |total: usize, rng: &mut Rng| {
        let pages = total.div_ceil(PAGE_SIZE).clamp(1, 10) as u64;
        Some(if pages < 2 {
            1
        } else {
            2 + rng.below(pages - 1) as u32
        })
    };
    let queued_order =
        |rng: &mut Rng| &plan.orders[queued[rng.below(queued.len() as u64) as usize] as usize];
    let queued_org = |rng: &mut Rng| {
        for _ in 0..100 {
            if let Owner::Org(i) = queued_order(rng).owner {
                return Some(&plan.orgs[i as usize]);
            }
        }
        None
    };
    let mut q = ListQuery::default();
    let mut want = None;
    match (OPERATIONS[op], &actor.role) {
        ("list.first", _) | ("queue.first", _) => {}
        ("list.page", Role::Applicant { orders, .. }) => q.page = later_page(orders.len(), rng),
        ("list.status", _) => {
            q.status = [
                Status::Completed,
                Status::AwaitingPayment,
                Status::Draft,
                Status::AwaitingFirstReview,
            ][rng.below(4) as usize]
                .as_str()
                .into();
        }
        ("list.search_number", Role::Applicant { orders, .. }) => {
            if let Some(&k) = orders.get(rng.below(orders.len() as u64) as usize) {
                let n = plan.orders[k as usize].number.to_string();
                q.q = n.clone();
                want = Some(n);
            }
        }
        ("queue.page", _) => q.page = later_page(queued.len(), rng),
        ("queue.stage", _) => q.stage = ["first", "final"][rng.below(2) as usize].into(),
        ("queue.overdue", _) => q.overdue = "yes".into(),
        ("queue.search_number", _) if !queued.is_empty() => {
            let n = queued_order(rng).number.to_string();
            q.q = n.clone();
            want = Some(n);
        }
        ("queue.search_uscc", _) if !queued.is_empty() => {
            if let Some(org) = queued_org(rng) {
                q.q = org.credit_code.clone();
            }
        }
        ("queue.search_name", _) if !queued.is_empty() => {
            if let Some(org) = queued_org(rng) {
                q.q = name_part(&org.name);
            }
        }
        _ => {}
    }
    (q, want)
}

/// Cheap checks of an answer during the timed run (the exact ones ran in [`verify`]).
fn problem_with(
    actor: &Actor,
    queued: usize,
    op: usize,
    query: &ListQuery,
    want_number: Option<&str>,
    view: &ListView,
) -> Option<String> {
    let page = query.page.unwrap_or(1).max(1) as u64;
    let offset = (page - 1) * PAGE_SIZE as u64;
    let expected_len = view.total.saturating_sub(offset).min(PAGE_SIZE as u64);
    if view.items.len() as u64 != expected_len {
        return Some(format!(
            "{} items on page {page} of {}",
            view.items.len(),
            view.total
        ));
    }
    if let Some(n) = want_number
        && !view.items.iter().any(|i| i.order_number == n)
    {
        return Some(format!("{n} not found"));
    }
    match &actor.role {
        Role::Applicant {
            org_name, orders, ..
        } => {
            if view.items.iter().any(|i| &i.organisation_name != org_name) {
                return Some("another organisation's order".into());
            }
            if !view
                .items
                .windows(2)
                .all(|w| (w[0].created_at, &w[0].id) >= (w[1].created_at, &w[1].id))
            {
                return Some("not newest first".into());
            }
            if OPERATIONS[op] == "list.first" && view.total != orders.len() as u64 {
                return Some(format!("total {} of {}", view.total, orders.len()));
            }
        }
        Role::Reviewer => {
            let allowed: &[Status] = match query.stage.as_str() {
                "first" => &[Status::AwaitingFirstReview],
                "final" => &[Status::AwaitingFinalReview],
                _ => &REVIEW,
            };
            if view.items.iter().any(|i| !allowed.contains(&i.status)) {
                return Some("a status that does not wait for review".into());
            }
            if !query.overdue.is_empty() && view.items.iter().any(|i| !i.overdue) {
                return Some("not overdue".into());
            }
            if !view
                .items
                .windows(2)
                .all(|w| (w[0].waiting_since, &w[0].id) <= (w[1].waiting_since, &w[1].id))
            {
                return Some("not the longest waiting first".into());
            }
            if OPERATIONS[op] == "queue.first" && view.total != queued as u64 {
                return Some(format!("total {} of {queued}", view.total));
            }
        }
    }
    None
}

/// Latency figures of one operation.
#[derive(Clone, Debug)]
pub struct Figures {
    pub operation: &'static str,
    pub count: usize,
    pub per_second: f64,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mismatches: u64,
}

pub fn figures(
    operation: &'static str,
    mut micros: Vec<u32>,
    elapsed: Duration,
    mismatches: u64,
) -> Figures {
    micros.sort_unstable();
    let at = |q: f64| -> f64 {
        if micros.is_empty() {
            return 0.0;
        }
        // Nearest rank.
        let rank = ((q * micros.len() as f64).ceil() as usize).clamp(1, micros.len());
        f64::from(micros[rank - 1]) / 1000.0
    };
    Figures {
        operation,
        count: micros.len(),
        per_second: micros.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        median_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        mismatches,
    }
}
