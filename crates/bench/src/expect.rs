//! What 订单管理 and 代办事宜 should return for the seeded data, computed from the
//! plan in memory, independently of the SQL: the checks compare the app's answers
//! with these.

use domain::application::Status;

use crate::plan::{Order, Owner, Plan};

/// `app::applications` lists 20 orders a page (its `PAGE_SIZE`, not exported).
pub const PAGE_SIZE: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub total: u64,
    pub numbers: Vec<String>,
}

fn matches_search(plan: &Plan, o: &Order, q: Option<&str>) -> bool {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return true;
    };
    let upper = q.to_ascii_uppercase();
    if o.number.as_str() == upper {
        return true;
    }
    match o.owner {
        Owner::Org(i) => {
            let org = &plan.orgs[i as usize];
            org.credit_code == upper || org.name.contains(q)
        }
        Owner::Individual(_) => false,
    }
}

fn page_of(mut hits: Vec<&Order>, page: u32, key: impl Fn(&&Order) -> (i64, u128)) -> Page {
    hits.sort_by_key(key);
    let offset = (page.max(1) as usize - 1) * PAGE_SIZE;
    Page {
        total: hits.len() as u64,
        numbers: hits
            .iter()
            .skip(offset)
            .take(PAGE_SIZE)
            .map(|o| o.number.to_string())
            .collect(),
    }
}

/// 订单管理 of `owner`: newest first.
pub fn list(plan: &Plan, owner: Owner, status: Option<Status>, q: Option<&str>, page: u32) -> Page {
    let hits = plan
        .orders
        .iter()
        .filter(|o| o.owner == owner)
        .filter(|o| status.is_none_or(|s| o.status == s))
        .filter(|o| matches_search(plan, o, q))
        .collect();
    page_of(hits, page, |o| (-o.created_at, u128::MAX - o.id))
}

/// 代办事宜: the longest waiting first.
pub fn queue(plan: &Plan, statuses: &[Status], overdue: bool, q: Option<&str>, page: u32) -> Page {
    let today = plan.today();
    let hits = plan
        .orders
        .iter()
        .filter(|o| statuses.contains(&o.status))
        .filter(|o| !overdue || o.due_on.as_deref().is_some_and(|d| d < today.as_str()))
        .filter(|o| matches_search(plan, o, q))
        .collect();
    page_of(hits, page, |o| (o.step_entered_at, o.id))
}
