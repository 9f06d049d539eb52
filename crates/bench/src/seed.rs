//! Writes a [`Plan`] into the database through `store::bulk`: many rows per
//! statement, a few tens of thousands per transaction.

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use domain::account::Role;
use domain::application::{CertType, Channel, Delivery, Kind, Procedure, Status};
use domain::ids::ApplicationId;
use domain::organisation::{MemberRole, OrgType};
use jiff::Timestamp;
use store::Store;
use store::applications::ApplicationRecord;
use store::bulk::{self, IndividualRow, MembershipRow, OrganisationRow, UserRow};

use crate::plan::{Order, Owner, Plan, Rng, id_number, terminal};

/// Every seeded account signs in with this password.
pub const PASSWORD: &str = "bench-Passw0rd";

/// Orders per transaction.
const BATCH: usize = 20_000;

#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub users: u64,
    pub organisations: u64,
    pub memberships: u64,
    pub individuals: u64,
    pub applications: u64,
    pub took: Duration,
}

fn password_hash() -> anyhow::Result<String> {
    password_hash_of(PASSWORD)
}

/// An argon2id hash of `password`, as the app stores it (fixed salt: seeding only).
pub(crate) fn password_hash_of(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(b"certdesk-bench-s").map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

pub async fn seed(store: &Store, plan: &Plan, seed: u64) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let hash = password_hash()?;
    let at = plan.now - jiff::SignedDuration::from_hours(3 * 365 * 24 + 24);
    let user = |p: &crate::plan::Person, role: Role| UserRow {
        id: p.id,
        mobile: p.mobile.clone(),
        name: p.name.clone(),
        password_hash: hash.clone(),
        role,
        created_at: at,
    };
    let mut users: Vec<UserRow> = plan
        .reviewers
        .iter()
        .map(|p| user(p, Role::Reviewer))
        .collect();
    users.extend(
        plan.orgs
            .iter()
            .flat_map(|o| o.members.iter().map(|p| user(p, Role::Applicant))),
    );
    users.extend(plan.individuals.iter().map(|p| user(p, Role::Applicant)));
    let orgs: Vec<OrganisationRow> = plan
        .orgs
        .iter()
        .enumerate()
        .map(|(i, o)| OrganisationRow {
            id: o.id,
            name: o.name.clone(),
            org_type: [OrgType::Purchaser, OrgType::Supplier, OrgType::Agency][i % 3],
            credit_code: o.credit_code.clone(),
            registration_authority: format!("{}市场监督管理局", &o.name[..6]),
            region: "本级".into(),
            address: format!("{}高新区科技路{}号", &o.name[..6], i % 300 + 1),
            legal_representative: o.members[0].name.clone(),
            created_by: o.members[0].id,
            created_at: at,
        })
        .collect();
    let memberships: Vec<MembershipRow> = plan
        .orgs
        .iter()
        .flat_map(|o| {
            o.members.iter().enumerate().map(|(i, p)| MembershipRow {
                organisation_id: o.id,
                user_id: p.id,
                role: if i == 0 {
                    MemberRole::Admin
                } else {
                    MemberRole::Member
                },
                added_at: at,
            })
        })
        .collect();
    let individuals: Vec<IndividualRow> = plan
        .individuals
        .iter()
        .enumerate()
        .map(|(i, p)| IndividualRow {
            user_id: p.id,
            id_number: id_number(i),
            created_at: at,
        })
        .collect();

    let mut seeded = Seeded::default();
    let mut tx = store.begin().await?;
    seeded.users = bulk::users(&mut tx, &users).await?;
    seeded.organisations = bulk::organisations(&mut tx, &orgs).await?;
    seeded.memberships = bulk::memberships(&mut tx, &memberships).await?;
    seeded.individuals = bulk::individuals(&mut tx, &individuals).await?;
    tx.commit().await?;

    let mut rng = Rng::new(seed.wrapping_add(1));
    for (n, batch) in plan.orders.chunks(BATCH).enumerate() {
        let rows = batch
            .iter()
            .map(|o| record(plan, o, &mut rng))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut tx = store.begin().await?;
        seeded.applications += bulk::applications(&mut tx, &rows).await?;
        tx.commit().await?;
        if n % 10 == 9 {
            eprintln!(
                "  {} orders in {:.1} s",
                seeded.applications,
                started.elapsed().as_secs_f64()
            );
        }
    }
    bulk::settle(store).await?;
    seeded.took = started.elapsed();
    Ok(seeded)
}

fn ts(us: i64) -> anyhow::Result<Timestamp> {
    Ok(Timestamp::from_microsecond(us)?)
}

/// The full row of an order, with the rest of what an applicant typed drawn here.
fn record(plan: &Plan, o: &Order, rng: &mut Rng) -> anyhow::Result<ApplicationRecord> {
    let (organisation_id, person) = match o.owner {
        Owner::Org(i) => {
            let org = &plan.orgs[i as usize];
            (Some(org.id), &org.members[o.applicant as usize])
        }
        Owner::Individual(i) => (None, &plan.individuals[i as usize]),
    };
    let kind = rng.weighted(&[
        (Kind::New, 45),
        (Kind::Renew, 35),
        (Kind::Replace, 6),
        (Kind::Change, 8),
        (Kind::Inspect, 4),
        (Kind::Cancel, 2),
    ]);
    let cert_type = if organisation_id.is_none() {
        CertType::Personal
    } else if kind == Kind::Inspect {
        CertType::Seal
    } else {
        rng.weighted(&[
            (CertType::OrgMaster, 50),
            (CertType::OrgStaff, 25),
            (CertType::Seal, 25),
        ])
    };
    let channel = rng.weighted(&[(Channel::Online, 85), (Channel::OnSite, 15)]);
    let delivery = match channel {
        Channel::OnSite => Delivery::Pickup,
        Channel::Online => rng.weighted(&[(Delivery::Mail, 60), (Delivery::Download, 40)]),
    };
    let procedure = Procedure::default_for(kind, channel);
    let quantity = 1 + u32::from(rng.below(10) == 0) * rng.below(5) as u32;
    let years = 1 + rng.below(3) as u32;
    let amount = if kind == Kind::Cancel {
        0
    } else {
        i64::from(quantity * years) * 30_000 + if delivery == Delivery::Mail { 1_000 } else { 0 }
    };
    let paid = amount > 0
        && !matches!(
            o.status,
            Status::Draft | Status::AwaitingPayment | Status::Withdrawn
        )
        && (o.status != Status::AwaitingFirstReview || procedure.pays_on_submit());
    let steps = procedure.steps().len() as i64;
    let step_index = match o.status {
        Status::Draft | Status::Returned => 0,
        Status::AwaitingPayment | Status::AwaitingFirstReview => 1,
        Status::AwaitingFinalReview => 3,
        Status::Completed | Status::Rejected | Status::Withdrawn => steps - 1,
        _ => steps - 1,
    }
    .min(steps - 1);
    let form = serde_json::to_string(&app::applications::ApplicationInput {
        handler_name: person.name.clone(),
        handler_mobile: person.mobile.clone(),
        handler_email: format!("u{}@example.com", &person.mobile[3..]),
        quantity: quantity.to_string(),
        years: years.to_string(),
        delivery: delivery.as_str().into(),
        mail_address: if delivery == Delivery::Mail {
            "演示市演示区演示路88号".into()
        } else {
            String::new()
        },
        mail_recipient: if delivery == Delivery::Mail {
            person.name.clone()
        } else {
            String::new()
        },
        mail_phone: if delivery == Delivery::Mail {
            person.mobile.clone()
        } else {
            String::new()
        },
        ..Default::default()
    })?;
    let created_at = ts(o.created_at)?;
    let submitted = !matches!(o.status, Status::Draft);
    Ok(ApplicationRecord {
        id: ApplicationId::parse(&uuid::Uuid::from_u128(o.id).to_string())?,
        order_number: o.number.clone(),
        organisation_id,
        applicant_id: person.id,
        kind,
        cert_type,
        channel,
        procedure: procedure.code(),
        position: match o.status {
            Status::Completed => "completed",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
            _ => "at",
        }
        .into(),
        step_index,
        status: o.status,
        delivery,
        amount,
        paid,
        returned: o.status == Status::Returned,
        shipped: matches!(o.status, Status::Shipped | Status::Completed)
            && delivery == Delivery::Mail,
        quantity,
        years,
        form,
        quote: submitted.then(|| format!("{{\"total\":{amount}}}")),
        overdue_months: None,
        overdue_fee: None,
        service_point_id: None,
        created_at,
        updated_at: ts(o.step_entered_at.max(o.created_at))?,
        submitted_at: submitted.then_some(created_at),
        step_entered_at: ts(o.step_entered_at)?,
        due_on: o.due_on.clone(),
        version: if terminal(o.status) { 4 } else { 2 },
    })
}
