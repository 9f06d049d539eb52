//! Seeds the issuance benchmark: one organisation with a valid USCC, its applicant, an
//! operator (制证员), and many approved, paid 新办 orders of one 单位主锁 each, waiting at
//! 待制证 (`Produce(Operator)`), in bulk through `store::bulk`. Then one fresh P-256 key
//! and CSR per order, written as the request bodies wrk sends (`id<TAB>json` per line).
//!
//! The rows are what the app itself stores for such an order: the procedure code of the
//! shipped default, position `at` the produce step, status `awaiting_production`, paid,
//! the quote of the submitted form (see `app::applications::columns`).

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use domain::Fen;
use domain::account::Role;
use domain::application::{
    CertType, Channel, Delivery, Flow, Kind, OrderNumber, Position, Procedure, Producer, Quote,
    QuoteInput, Stage, Status, Step,
};
use domain::ids::{ApplicationId, OrganisationId, UserId};
use domain::organisation::{MemberRole, OrgType};
use store::Store;
use store::applications::ApplicationRecord;
use store::bulk::{self, MembershipRow, OrganisationRow, UserRow};

use super::csr;

/// Orders per transaction.
const BATCH: usize = 20_000;

/// Who signs in to produce, and with what.
#[derive(Clone, Debug)]
pub struct Operator {
    pub mobile: String,
    pub password: String,
}

#[derive(Clone, Debug, Default)]
pub struct SeededOrders {
    pub orders: u64,
    pub seeded_in: Duration,
    pub csrs_in: Duration,
}

/// The organisation's USCC: a valid one (GB 32100-2015 check character).
pub fn uscc() -> String {
    let first17 = "91110105MA0BENCH0";
    let check = domain::ident::Uscc::check_char(first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// Seeds `count` orders and writes their request bodies to `bodies` (one line each:
/// the application id, a tab, the JSON body of `POST /api/v1/applications/{id}/production`).
pub async fn seed(
    store: &Store,
    count: usize,
    operator: &Operator,
    bodies: &Path,
) -> anyhow::Result<SeededOrders> {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    let hash = crate::seed::password_hash_of(&operator.password)?;
    let applicant = UserId::new();
    let org = OrganisationId::new();
    let users = [
        UserRow {
            id: UserId::new(),
            mobile: operator.mobile.clone(),
            name: "制证员甲".into(),
            password_hash: hash.clone(),
            role: Role::Operator,
            created_at: now,
        },
        UserRow {
            id: applicant,
            mobile: "13700000001".into(),
            name: "张经办".into(),
            password_hash: hash,
            role: Role::Applicant,
            created_at: now,
        },
    ];
    let mut tx = store.begin().await?;
    bulk::users(&mut tx, &users).await?;
    bulk::organisations(
        &mut tx,
        &[OrganisationRow {
            id: org,
            name: "北京压测科技有限公司".into(),
            org_type: OrgType::Supplier,
            credit_code: uscc(),
            registration_authority: "北京市朝阳区市场监督管理局".into(),
            region: "本级".into(),
            address: "北京市朝阳区压测路1号".into(),
            legal_representative: "张经办".into(),
            created_by: applicant,
            created_at: now,
        }],
    )
    .await?;
    bulk::memberships(
        &mut tx,
        &[MembershipRow {
            organisation_id: org,
            user_id: applicant,
            role: MemberRole::Admin,
            added_at: now,
        }],
    )
    .await?;
    tx.commit().await?;

    let procedure = Procedure::default_for(Kind::New, Channel::Online);
    let quote = Quote::compute(QuoteInput {
        unit_price: Fen(30_000),
        quantity: 1,
        years: 1,
        shipping: None,
        overdue: Fen(0),
    })
    .map_err(|e| anyhow::anyhow!("quote: {e:?}"))?;
    // The flow as the app moves it: submitted, paid, 初审 and 终审 approved.
    let flow = Flow::new(procedure.clone(), Delivery::Download)
        .submit(quote.total, Delivery::Download)
        .and_then(|f| f.pay())
        .and_then(|f| f.approve(Stage::First, None))
        .and_then(|f| f.approve(Stage::Final, None))
        .map_err(|e| anyhow::anyhow!("the 新办 flow: {e:?}"))?;
    let Position::At(step) = flow.position() else {
        anyhow::bail!("the approved flow is not at a step");
    };
    anyhow::ensure!(
        flow.status() == Status::AwaitingProduction
            && matches!(flow.step(), Some(Step::Produce(Producer::Operator))),
        "the approved 新办 is at {:?}, not 待制证 by an operator",
        flow.status()
    );
    let step_index = i64::try_from(step)?;
    let form = serde_json::to_string(&app::applications::ApplicationInput {
        handler_name: "张经办".into(),
        handler_mobile: "13700000001".into(),
        handler_email: "bench@example.com".into(),
        quantity: "1".into(),
        years: "1".into(),
        delivery: Delivery::Download.as_str().into(),
        ..Default::default()
    })?;
    let quote_json = serde_json::to_string(&quote)?;
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();

    let mut ids = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(BATCH.min(count));
    let mut seeded = SeededOrders::default();
    for n in 0..count {
        let id = ApplicationId::new();
        ids.push(id);
        let at = now - jiff::SignedDuration::from_secs(3_600);
        rows.push(ApplicationRecord {
            id,
            // A day of its own for the bench's orders (sequence numbers far above a day's).
            order_number: OrderNumber::new(day, 9_000_000 + n as u64),
            organisation_id: Some(org),
            applicant_id: applicant,
            kind: Kind::New,
            cert_type: CertType::OrgMaster,
            channel: Channel::Online,
            procedure: procedure.code(),
            position: "at".into(),
            step_index,
            status: flow.status(),
            delivery: flow.delivery(),
            amount: flow.amount().0,
            paid: flow.paid(),
            returned: flow.returned(),
            shipped: flow.shipped(),
            quantity: 1,
            years: 1,
            form: form.clone(),
            quote: Some(quote_json.clone()),
            overdue_months: None,
            overdue_fee: None,
            service_point_id: None,
            created_at: at,
            updated_at: at,
            submitted_at: Some(at),
            step_entered_at: at,
            due_on: None,
            version: 5,
        });
        if rows.len() == BATCH || n + 1 == count {
            let mut tx = store.begin().await?;
            seeded.orders += bulk::applications(&mut tx, &rows).await?;
            tx.commit().await?;
            rows.clear();
        }
    }
    bulk::settle(store).await?;
    seeded.seeded_in = started.elapsed();

    let started = Instant::now();
    write_bodies(&ids, bodies)?;
    seeded.csrs_in = started.elapsed();
    Ok(seeded)
}

/// One key and CSR per order, made on every core.
fn write_bodies(ids: &[ApplicationId], path: &Path) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = ids.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<anyhow::Result<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    let mut out = Vec::with_capacity(chunk.len() * 560);
                    for id in chunk {
                        let der = csr::p256_csr("certdesk bench")?;
                        let body = serde_json::json!({ "csr": csr::pem(&der) });
                        writeln!(out, "{}\t{}", id.to_text(), body)?;
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a CSR thread panicked")))
            })
            .collect()
    });
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for part in parts {
        file.write_all(&part?)?;
    }
    file.flush()?;
    Ok(())
}
