//! The data to seed, drawn from a seeded generator so a run can be repeated: who
//! exists, which organisation each order belongs to, its status and its times.
//! What the checks need is kept compactly in memory ([`Order`]); the full rows are
//! built batch by batch while seeding.

use domain::application::{OrderNumber, Status};
use domain::ids::{OrganisationId, UserId};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// splitmix64: small, fast and good enough to draw test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// In [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items` by weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(u64::from(total)) as u32;
        for (item, w) in items {
            if pick < *w {
                return *item;
            }
            pick -= w;
        }
        items[items.len() - 1].0
    }
}

pub fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC)
}

pub struct Org {
    pub id: OrganisationId,
    pub name: String,
    pub credit_code: String,
    /// Its members; the first is the organisation's admin.
    pub members: Vec<Person>,
}

#[derive(Clone)]
pub struct Person {
    pub id: UserId,
    pub mobile: String,
    pub name: String,
}

/// Whose an order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Org(u32),
    Individual(u32),
}

/// What the checks need to know of one order.
pub struct Order {
    /// The UUID v7 as a number: it sorts as the id text does.
    pub id: u128,
    pub number: OrderNumber,
    pub owner: Owner,
    pub applicant: u32,
    pub status: Status,
    pub created_at: i64,
    pub step_entered_at: i64,
    pub due_on: Option<String>,
}

pub struct Plan {
    pub now: Timestamp,
    pub orgs: Vec<Org>,
    pub individuals: Vec<Person>,
    pub reviewers: Vec<Person>,
    pub orders: Vec<Order>,
}

impl Plan {
    /// What seeding this plan wrote, for a run on a database seeded before.
    pub fn seeded(&self) -> crate::Seeded {
        let members: usize = self.orgs.iter().map(|o| o.members.len()).sum();
        crate::Seeded {
            users: (self.reviewers.len() + members + self.individuals.len()) as u64,
            organisations: self.orgs.len() as u64,
            memberships: members as u64,
            individuals: self.individuals.len() as u64,
            applications: self.orders.len() as u64,
            took: std::time::Duration::ZERO,
        }
    }
}

/// Statuses that wait for a reviewer (代办事宜 without a stage).
pub const REVIEW: [Status; 2] = [Status::AwaitingFirstReview, Status::AwaitingFinalReview];

const CITIES: [&str; 24] = [
    "北京", "上海", "广州", "深圳", "杭州", "南京", "武汉", "成都", "重庆", "西安", "郑州", "长沙",
    "沈阳", "大连", "济南", "青岛", "合肥", "福州", "厦门", "昆明", "南宁", "太原", "兰州", "银川",
];
const NAMES: [&str; 40] = [
    "华信", "中科", "宏达", "恒通", "金盛", "瑞丰", "鼎新", "远航", "联创", "天成", "博远", "正泰",
    "华泰", "永安", "盛世", "康达", "新元", "东方", "嘉禾", "明德", "国信", "安泰", "长城", "海纳",
    "万通", "中联", "汇丰", "弘毅", "润和", "星辰", "泰和", "启明", "卓越", "信达", "和信", "同创",
    "锦程", "蓝海", "九州", "三友",
];
const TRADES: [&str; 10] = [
    "科技", "建设", "工程", "贸易", "医疗", "信息", "环保", "物流", "咨询", "电力",
];
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰",
];

fn person_name(rng: &mut Rng) -> String {
    format!(
        "{}{}{}",
        SURNAMES[rng.below(12) as usize],
        GIVEN[rng.below(12) as usize],
        GIVEN[rng.below(12) as usize]
    )
}

pub fn uscc(i: usize) -> String {
    let first17 = format!("91110105{:09}", 300_000_000 + i);
    let check = domain::ident::Uscc::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub fn id_number(i: usize) -> String {
    let birth = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(i64::try_from(i % 12_000).unwrap_or(0)))
        .unwrap_or(jiff::civil::date(1970, 1, 1));
    let first17 = format!(
        "110105{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        i / 12_000 + 1
    );
    let check = domain::ident::IdNumber::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// The sizes a run of `orders` orders gets.
pub struct Sizes {
    pub orgs: usize,
    pub individuals: usize,
    pub reviewers: usize,
}

impl Sizes {
    pub fn for_orders(orders: usize) -> Sizes {
        Sizes {
            orgs: (orders / 250).clamp(4, 5_000),
            individuals: (orders / 1_000).clamp(2, 2_000),
            reviewers: 10,
        }
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

impl Plan {
    pub fn draw(orders: usize, seed: u64, now: Timestamp) -> Plan {
        let mut rng = Rng::new(seed);
        let sizes = Sizes::for_orders(orders);
        let now_us = now.as_microsecond();
        let mut mobiles = 0u64;
        // Ids come from their own stream, so a plan drawn again (`--reuse`) names the
        // same people and organisations as the one seeded.
        let ids = std::cell::RefCell::new(Rng::new(seed ^ 0x1D5));
        let uuid = || {
            let mut ids = ids.borrow_mut();
            uuid::Uuid::from_u64_pair(ids.next_u64(), ids.next_u64()).to_string()
        };
        let user_id = || UserId::parse(&uuid()).expect("a UUID's text parses");
        let mut person = |rng: &mut Rng| {
            mobiles += 1;
            Person {
                id: user_id(),
                mobile: format!("135{mobiles:08}"),
                name: person_name(rng),
            }
        };
        let reviewers = (0..sizes.reviewers).map(|_| person(&mut rng)).collect();
        // Distinct names: city × name × trade, walked with a stride so neighbours differ.
        let combos = CITIES.len() * NAMES.len() * TRADES.len();
        let orgs: Vec<Org> = (0..sizes.orgs)
            .map(|i| {
                let c = (i * 7_919) % combos;
                let name = format!(
                    "{}{}{}有限公司",
                    CITIES[c % CITIES.len()],
                    NAMES[(c / CITIES.len()) % NAMES.len()],
                    TRADES[c / (CITIES.len() * NAMES.len())]
                );
                let members = 1 + rng.below(3) as usize;
                Org {
                    id: OrganisationId::parse(&uuid()).expect("a UUID's text parses"),
                    name,
                    credit_code: uscc(i),
                    members: (0..members).map(|_| person(&mut rng)).collect(),
                }
            })
            .collect();
        let individuals = (0..sizes.individuals).map(|_| person(&mut rng)).collect();

        // Skewed: organisation k (in a shuffled order) gets a share ∝ 1/(k+1)^0.7.
        let mut rank: Vec<usize> = (0..orgs.len()).collect();
        for i in (1..rank.len()).rev() {
            rank.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut cumulative = Vec::with_capacity(orgs.len());
        let mut sum = 0.0;
        for k in 0..orgs.len() {
            sum += 1.0 / ((k + 1) as f64).powf(0.7);
            cumulative.push(sum);
        }

        let three_years = 3 * 365 * MICROS_PER_DAY;
        let mut drafts: Vec<(i64, Owner, u32, Status, i64)> = Vec::with_capacity(orders);
        for _ in 0..orders {
            let owner = if rng.below(100) < 2 {
                Owner::Individual(rng.below(sizes.individuals as u64) as u32)
            } else {
                let x = rng.unit() * sum;
                let k = cumulative.partition_point(|c| *c < x).min(orgs.len() - 1);
                Owner::Org(rank[k] as u32)
            };
            let applicant = match owner {
                Owner::Org(o) => rng.below(orgs[o as usize].members.len() as u64) as u32,
                Owner::Individual(_) => 0,
            };
            // More orders lately: the age is skewed towards now.
            let age = ((rng.unit().powf(1.5)) * three_years as f64) as i64 + 60_000_000;
            let created = now_us - age;
            let status = if age < 30 * MICROS_PER_DAY {
                rng.weighted(&[
                    (Status::Draft, 18),
                    (Status::AwaitingPayment, 12),
                    (Status::AwaitingFirstReview, 20),
                    (Status::AwaitingFinalReview, 8),
                    (Status::Returned, 5),
                    (Status::AwaitingProduction, 10),
                    (Status::AwaitingShipment, 4),
                    (Status::AwaitingPickup, 4),
                    (Status::Shipped, 5),
                    (Status::Completed, 10),
                    (Status::Withdrawn, 3),
                    (Status::Rejected, 1),
                ])
            } else {
                rng.weighted(&[
                    (Status::Completed, 90),
                    (Status::Withdrawn, 5),
                    (Status::Rejected, 2),
                    (Status::Draft, 3),
                ])
            };
            let step_entered = if terminal(status) {
                (created + (rng.unit() * 10.0 * MICROS_PER_DAY as f64) as i64).min(now_us - 1)
            } else {
                created + (rng.unit() * (now_us - created) as f64) as i64
            };
            drafts.push((created, owner, applicant, status, step_entered));
        }
        // Order numbers follow creation: CA + the Shanghai date + the sequence of that day.
        drafts.sort_by_key(|d| d.0);
        let tz = shanghai();
        let mut day = None;
        let mut seq = 0u64;
        let mut random = [0u8; 10];
        let orders = drafts
            .into_iter()
            .map(|(created, owner, applicant, status, step_entered)| {
                let at = Timestamp::from_microsecond(created).unwrap_or(now);
                let date = at.to_zoned(tz.clone()).date();
                if day != Some(date) {
                    day = Some(date);
                    seq = 0;
                }
                seq += 1;
                for chunk in random.chunks_mut(8) {
                    let bytes = rng.next_u64().to_le_bytes();
                    chunk.copy_from_slice(&bytes[..chunk.len()]);
                }
                let id = uuid::Builder::from_unix_timestamp_millis(
                    u64::try_from(created / 1_000).unwrap_or(0),
                    &random,
                )
                .into_uuid()
                .as_u128();
                let due_on = REVIEW.contains(&status).then(|| {
                    Timestamp::from_microsecond(step_entered + 5 * MICROS_PER_DAY)
                        .unwrap_or(now)
                        .to_zoned(tz.clone())
                        .date()
                        .to_string()
                });
                Order {
                    id,
                    number: OrderNumber::new(date, seq),
                    owner,
                    applicant,
                    status,
                    created_at: created,
                    step_entered_at: step_entered,
                    due_on,
                }
            })
            .collect();
        Plan {
            now,
            orgs,
            individuals,
            reviewers,
            orders,
        }
    }

    pub fn today(&self) -> String {
        self.now.to_zoned(shanghai()).date().to_string()
    }

    /// How many orders each organisation has.
    pub fn orders_per_org(&self) -> Vec<usize> {
        let mut n = vec![0; self.orgs.len()];
        for o in &self.orders {
            if let Owner::Org(i) = o.owner {
                n[i as usize] += 1;
            }
        }
        n
    }
}

pub fn terminal(s: Status) -> bool {
    matches!(s, Status::Completed | Status::Withdrawn | Status::Rejected)
}
