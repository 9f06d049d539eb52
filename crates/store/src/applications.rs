//! Applications (orders): the form as typed, where each stands in its procedure,
//! and the lists people read (订单管理, 代办事宜).

use domain::application::{CertType, Channel, Delivery, Kind, OrderNumber, Status};
use domain::ids::{ApplicationId, OrganisationId, ServicePointId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, flag, from_micros, micros};

pub struct NewApplication<'a> {
    pub id: ApplicationId,
    pub order_number: &'a OrderNumber,
    pub organisation_id: Option<OrganisationId>,
    pub applicant_id: UserId,
    pub kind: Kind,
    pub cert_type: CertType,
    pub channel: Channel,
    pub delivery: Delivery,
    pub procedure: &'a str,
    pub status: Status,
    pub form: &'a str,
    pub quantity: u32,
    pub years: u32,
    pub at: Timestamp,
}

/// Where an application stands, as stored (see `domain::application::Flow`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowColumns {
    /// `at`, `completed`, `rejected` or `withdrawn`.
    pub position: &'static str,
    pub step_index: i64,
    pub status: Status,
    pub amount: i64,
    pub delivery: Delivery,
    pub paid: bool,
    pub returned: bool,
    pub shipped: bool,
}

#[derive(Clone, Debug)]
pub struct ApplicationRecord {
    pub id: ApplicationId,
    pub order_number: OrderNumber,
    pub organisation_id: Option<OrganisationId>,
    pub applicant_id: UserId,
    pub kind: Kind,
    pub cert_type: CertType,
    pub channel: Channel,
    pub procedure: String,
    pub position: String,
    pub step_index: i64,
    pub status: Status,
    pub delivery: Delivery,
    pub amount: i64,
    pub paid: bool,
    pub returned: bool,
    pub shipped: bool,
    pub quantity: u32,
    pub years: u32,
    pub form: String,
    pub quote: Option<String>,
    pub overdue_months: Option<i64>,
    pub overdue_fee: Option<i64>,
    pub service_point_id: Option<ServicePointId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub step_entered_at: Timestamp,
    pub due_on: Option<String>,
    pub version: i64,
}

#[derive(FromRow)]
struct Row {
    id: String,
    order_number: String,
    organisation_id: Option<String>,
    applicant_id: String,
    kind: String,
    cert_type: String,
    channel: String,
    procedure: String,
    position: String,
    step_index: i64,
    status: String,
    delivery: String,
    amount: i64,
    paid: i64,
    returned: i64,
    shipped: i64,
    quantity: i64,
    years: i64,
    form: String,
    quote: Option<String>,
    overdue_months: Option<i64>,
    overdue_fee: Option<i64>,
    service_point_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    submitted_at: Option<i64>,
    step_entered_at: i64,
    due_on: Option<String>,
    version: i64,
}

const COLUMNS: &str = "a.id, a.order_number, a.organisation_id, a.applicant_id, a.kind, a.cert_type, \
    a.channel, a.procedure, a.position, a.step_index, a.status, a.delivery, a.amount, a.paid, \
    a.returned, a.shipped, a.quantity, a.years, a.form, a.quote, a.overdue_months, a.overdue_fee, \
    a.service_point_id, a.created_at, a.updated_at, a.submitted_at, a.step_entered_at, a.due_on, \
    a.version";

impl TryFrom<Row> for ApplicationRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("application {}: {what}", r.id));
        Ok(ApplicationRecord {
            id: ApplicationId::parse(&r.id).map_err(|_| corrupt("id"))?,
            order_number: OrderNumber::parse(&r.order_number).map_err(|_| corrupt("number"))?,
            organisation_id: r
                .organisation_id
                .as_deref()
                .map(OrganisationId::parse)
                .transpose()
                .map_err(|_| corrupt("organisation"))?,
            applicant_id: UserId::parse(&r.applicant_id).map_err(|_| corrupt("applicant"))?,
            kind: Kind::parse(&r.kind).map_err(|_| corrupt("kind"))?,
            cert_type: CertType::parse(&r.cert_type).map_err(|_| corrupt("cert_type"))?,
            channel: Channel::parse(&r.channel).map_err(|_| corrupt("channel"))?,
            status: Status::parse(&r.status).map_err(|_| corrupt("status"))?,
            delivery: Delivery::parse(&r.delivery).map_err(|_| corrupt("delivery"))?,
            service_point_id: r
                .service_point_id
                .as_deref()
                .map(ServicePointId::parse)
                .transpose()
                .map_err(|_| corrupt("service point"))?,
            quantity: u32::try_from(r.quantity).map_err(|_| corrupt("quantity"))?,
            years: u32::try_from(r.years).map_err(|_| corrupt("years"))?,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
            submitted_at: r.submitted_at.map(from_micros).transpose()?,
            step_entered_at: from_micros(r.step_entered_at)?,
            procedure: r.procedure,
            position: r.position,
            step_index: r.step_index,
            amount: r.amount,
            paid: r.paid != 0,
            returned: r.returned != 0,
            shipped: r.shipped != 0,
            form: r.form,
            quote: r.quote,
            overdue_months: r.overdue_months,
            overdue_fee: r.overdue_fee,
            due_on: r.due_on,
            version: r.version,
        })
    }
}

/// The next sequence number of `day` (YYYYMMDD), shared by every instance.
pub async fn next_sequence(conn: &mut AnyConnection, day: &str) -> Result<u64, StoreError> {
    let (last,): (i64,) = sqlx::query_as(
        "INSERT INTO order_sequences (day, last) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET last = order_sequences.last + 1 RETURNING last",
    )
    .bind(day)
    .fetch_one(conn)
    .await?;
    u64::try_from(last).map_err(|_| StoreError::Corrupt(format!("order sequence {last}")))
}

pub async fn insert(conn: &mut AnyConnection, a: &NewApplication<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applications (id, order_number, organisation_id, applicant_id, kind, cert_type, \
         channel, delivery, procedure, position, step_index, status, amount, paid, returned, shipped, \
         quantity, years, form, created_at, updated_at, step_entered_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'at', 0, $10, 0, 0, 0, 0, $11, $12, $13, $14, $14, $14, 1)",
    )
    .bind(a.id.to_text())
    .bind(a.order_number.as_str())
    .bind(a.organisation_id.map(OrganisationId::to_text))
    .bind(a.applicant_id.to_text())
    .bind(a.kind.as_str())
    .bind(a.cert_type.as_str())
    .bind(a.channel.as_str())
    .bind(a.delivery.as_str())
    .bind(a.procedure)
    .bind(a.status.as_str())
    .bind(i64::from(a.quantity))
    .bind(i64::from(a.years))
    .bind(a.form)
    .bind(micros(a.at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    id: ApplicationId,
) -> Result<Option<ApplicationRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM applications a WHERE a.id = $1"
    ))
    .bind(id.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(ApplicationRecord::try_from).transpose()
}

pub async fn id_of_number(
    conn: &mut AnyConnection,
    number: &OrderNumber,
) -> Result<Option<ApplicationId>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM applications WHERE order_number = $1")
            .bind(number.as_str())
            .fetch_optional(conn)
            .await?;
    row.map(|(id,)| {
        ApplicationId::parse(&id).map_err(|_| StoreError::Corrupt(format!("application id {id}")))
    })
    .transpose()
}

/// The editable part, saved at fill (修改保存). Returns false when someone changed the
/// application meanwhile (`version` no longer matches).
pub struct FormUpdate<'a> {
    pub form: &'a str,
    pub delivery: Delivery,
    pub quantity: u32,
    pub years: u32,
    pub service_point_id: Option<ServicePointId>,
    pub at: Timestamp,
}

pub async fn update_form(
    conn: &mut AnyConnection,
    id: ApplicationId,
    version: i64,
    u: &FormUpdate<'_>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE applications SET form = $3, delivery = $4, quantity = $5, years = $6, \
         service_point_id = $7, updated_at = $8, version = version + 1 \
         WHERE id = $1 AND version = $2 AND position = 'at'",
    )
    .bind(id.to_text())
    .bind(version)
    .bind(u.form)
    .bind(u.delivery.as_str())
    .bind(i64::from(u.quantity))
    .bind(i64::from(u.years))
    .bind(u.service_point_id.map(ServicePointId::to_text))
    .bind(micros(u.at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A transition's effect. `None` fields keep their value.
pub struct FlowUpdate<'a> {
    pub flow: &'a FlowColumns,
    pub at: Timestamp,
    /// Whether the step changed (the SLA clock restarts).
    pub step_changed: bool,
    pub due_on: Option<&'a str>,
    pub quote: Option<&'a str>,
    pub submitted: bool,
    pub overdue: Option<(i64, i64)>,
}

pub async fn update_flow(
    conn: &mut AnyConnection,
    id: ApplicationId,
    version: i64,
    u: &FlowUpdate<'_>,
) -> Result<bool, StoreError> {
    let f = u.flow;
    let done = sqlx::query(
        "UPDATE applications SET position = $3, step_index = $4, status = $5, amount = $6, \
         delivery = $7, paid = $8, returned = $9, shipped = $10, updated_at = $11, \
         step_entered_at = CASE WHEN $12 = 1 THEN $11 ELSE step_entered_at END, \
         due_on = $13, quote = COALESCE($14, quote), \
         submitted_at = CASE WHEN $15 = 1 THEN $11 ELSE submitted_at END, \
         overdue_months = COALESCE($16, overdue_months), overdue_fee = COALESCE($17, overdue_fee), \
         version = version + 1 \
         WHERE id = $1 AND version = $2",
    )
    .bind(id.to_text())
    .bind(version)
    .bind(f.position)
    .bind(f.step_index)
    .bind(f.status.as_str())
    .bind(f.amount)
    .bind(f.delivery.as_str())
    .bind(flag(f.paid))
    .bind(flag(f.returned))
    .bind(flag(f.shipped))
    .bind(micros(u.at))
    .bind(flag(u.step_changed))
    .bind(u.due_on)
    .bind(u.quote)
    .bind(flag(u.submitted))
    .bind(u.overdue.map(|o| o.0))
    .bind(u.overdue.map(|o| o.1))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Raises the version without moving the flow, if nobody changed the application since
/// `version` was read: one more certificate of a 新办 of several was produced.
pub async fn touch(
    conn: &mut AnyConnection,
    id: ApplicationId,
    version: i64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE applications SET updated_at = $3, version = version + 1 \
         WHERE id = $1 AND version = $2",
    )
    .bind(id.to_text())
    .bind(version)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who may see an order: its organisation, or for an individual, its applicant.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Organisation(OrganisationId),
    Applicant(UserId),
    /// Staff see everything.
    All,
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub kind: Option<Kind>,
    /// An order number, an organisation's name (part of it) or its credit code.
    pub search: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// Only those whose review is due before this date (YYYY-MM-DD): overdue.
    pub due_before: Option<String>,
    /// Newest first only: those after this one (its creation time and id), so a long
    /// walk (导出申领信息) goes on from where it stopped instead of counting an offset.
    pub after: Option<(Timestamp, ApplicationId)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// 订单管理: newest first.
    NewestFirst,
    /// 代办事宜: the longest waiting first.
    LongestWaiting,
}

/// A line of a list, with what lists show beside the order itself.
#[derive(Clone, Debug)]
pub struct Summary {
    pub record: ApplicationRecord,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    pub applicant_name: String,
}

#[derive(FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    row: Row,
    organisation_name: Option<String>,
    credit_code: Option<String>,
    applicant_name: String,
}

/// A search names organisations by credit code or part of their name. They are looked
/// up first, so the order query needs no join and can walk an index of `applications`.
/// Past this many, the lookup stays a subquery (the search is broad anyway).
const NAMED_ORGANISATIONS: usize = 200;

/// Conditions of a list other than its statuses, `a.`-qualified, with their arguments;
/// and whether the matches are few enough to sort rather than walk an index in order.
async fn conditions(
    conn: &mut AnyConnection,
    scope: Scope,
    filter: &Filter,
    args: &mut Vec<Arg>,
) -> Result<(Vec<String>, bool), StoreError> {
    let mut clauses: Vec<String> = Vec::new();
    let mut sort_matches = false;
    let push = |clauses: &mut Vec<String>, args: &mut Vec<Arg>, sql: &str, arg: Arg| {
        args.push(arg);
        clauses.push(sql.replace('?', &format!("${}", args.len())));
    };
    match scope {
        Scope::Organisation(org) => push(
            &mut clauses,
            args,
            "a.organisation_id = ?",
            Arg::Text(org.to_text()),
        ),
        Scope::Applicant(user) => push(
            &mut clauses,
            args,
            "a.applicant_id = ? AND a.organisation_id IS NULL",
            Arg::Text(user.to_text()),
        ),
        Scope::All => {}
    }
    if let Some(kind) = filter.kind {
        push(
            &mut clauses,
            args,
            "a.kind = ?",
            Arg::Text(kind.as_str().to_owned()),
        );
    }
    if let Some(q) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        // An order number, or an order of an organisation whose credit code is q or
        // whose name contains q.
        let upper = q.to_ascii_uppercase();
        let like = format!("%{}%", escape_like(q));
        let names = "credit_code = $1 OR name LIKE $2 ESCAPE '\\'";
        // Every argument pushed is used: PostgreSQL cannot type an unused one.
        let number = |args: &mut Vec<Arg>| {
            args.push(Arg::Text(upper.clone()));
            format!("a.order_number = ${}", args.len())
        };
        match scope {
            // Every order in scope has the same organisation: it matches or it does not.
            Scope::Organisation(org) => {
                let hit: Option<(String,)> = sqlx::query_as(&format!(
                    "SELECT id FROM organisations WHERE id = $3 AND ({names})"
                ))
                .bind(&upper)
                .bind(&like)
                .bind(org.to_text())
                .fetch_optional(&mut *conn)
                .await?;
                if hit.is_none() {
                    clauses.push(number(args));
                }
            }
            // An individual's orders have no organisation to match.
            Scope::Applicant(_) => clauses.push(number(args)),
            Scope::All => {
                let ids: Vec<(String,)> = sqlx::query_as(&format!(
                    "SELECT id FROM organisations WHERE {names} LIMIT {}",
                    NAMED_ORGANISATIONS + 1
                ))
                .bind(&upper)
                .bind(&like)
                .fetch_all(&mut *conn)
                .await?;
                if ids.is_empty() {
                    clauses.push(number(args));
                } else {
                    // The orders of a few organisations: fetched by organisation and sorted.
                    sort_matches = true;
                    let numbered: Option<(String,)> =
                        sqlx::query_as("SELECT id FROM applications WHERE order_number = $1")
                            .bind(&upper)
                            .fetch_optional(&mut *conn)
                            .await?;
                    let orgs = if ids.len() <= NAMED_ORGANISATIONS {
                        let mut marks = Vec::with_capacity(ids.len());
                        for (id,) in ids {
                            args.push(Arg::Text(id));
                            marks.push(format!("${}", args.len()));
                        }
                        format!("a.organisation_id IN ({})", marks.join(", "))
                    } else {
                        args.push(Arg::Text(upper.clone()));
                        args.push(Arg::Text(like.clone()));
                        let n = args.len();
                        format!(
                            "a.organisation_id IN (SELECT id FROM organisations \
                             WHERE credit_code = ${} OR name LIKE ${n} ESCAPE '\\')",
                            n - 1
                        )
                    };
                    // Only when q is also an order number (hardly ever) does the OR stay.
                    clauses.push(match numbered {
                        Some(_) => format!("({} OR {orgs})", number(args)),
                        None => orgs,
                    });
                }
            }
        }
    }
    if let Some(t) = filter.created_from {
        push(&mut clauses, args, "a.created_at >= ?", Arg::Int(micros(t)));
    }
    if let Some(t) = filter.created_before {
        push(&mut clauses, args, "a.created_at < ?", Arg::Int(micros(t)));
    }
    if let Some(d) = &filter.due_before {
        push(&mut clauses, args, "a.due_on < ?", Arg::Text(d.clone()));
    }
    if let Some((at, id)) = filter.after {
        args.push(Arg::Int(micros(at)));
        args.push(Arg::Text(id.to_text()));
        let (k, i) = (args.len() - 1, args.len());
        clauses.push(format!(
            "(a.created_at < ${k} OR (a.created_at = ${k} AND a.id < ${i}))"
        ));
    }
    Ok((clauses, sort_matches))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

enum Arg {
    Text(String),
    Int(i64),
}

fn where_of(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// One page of a list and the number of matches in all.
///
/// The page is found on ids alone (an index holds the sort key and the id), one
/// branch per status so each walks its part of an index in order and stops after
/// `offset + limit`; only the page's rows are then read and joined. The count
/// needs no join either.
pub async fn list(
    conn: &mut AnyConnection,
    scope: Scope,
    filter: &Filter,
    order: Order,
    offset: u32,
    limit: u32,
) -> Result<(Vec<Summary>, u64), StoreError> {
    list_counted(conn, scope, filter, order, offset, limit, true).await
}

/// One page of a list, without counting the matches (a walk through all of them).
pub async fn page(
    conn: &mut AnyConnection,
    scope: Scope,
    filter: &Filter,
    order: Order,
    offset: u32,
    limit: u32,
) -> Result<Vec<Summary>, StoreError> {
    Ok(
        list_counted(conn, scope, filter, order, offset, limit, false)
            .await?
            .0,
    )
}

async fn list_counted(
    conn: &mut AnyConnection,
    scope: Scope,
    filter: &Filter,
    order: Order,
    offset: u32,
    limit: u32,
    counted: bool,
) -> Result<(Vec<Summary>, u64), StoreError> {
    let mut args = Vec::new();
    let (common, sort_matches) = conditions(conn, scope, filter, &mut args).await?;
    let mut status_marks = Vec::new();
    for s in &filter.statuses {
        args.push(Arg::Text(s.as_str().to_owned()));
        status_marks.push(format!("${}", args.len()));
    }
    let (key, dir) = match order {
        Order::NewestFirst => ("created_at", "DESC"),
        Order::LongestWaiting => ("step_entered_at", "ASC"),
    };
    let branch = |status: Option<&String>, limit: u64, offset: u64| {
        let mut clauses = common.clone();
        if let Some(m) = status {
            clauses.push(format!("a.status = {m}"));
        }
        let offset = if offset > 0 {
            format!(" OFFSET {offset}")
        } else {
            String::new()
        };
        // `+ 0` keeps the planner from walking the sort key's index through rows that
        // mostly do not match (SQLite, without statistics, would).
        let k = if sort_matches {
            format!("a.{key} + 0")
        } else {
            format!("a.{key}")
        };
        format!(
            "SELECT a.id AS id, {k} AS k FROM applications a {} \
             ORDER BY {k} {dir}, a.id {dir} LIMIT {limit}{offset}",
            where_of(&clauses)
        )
    };
    let (offset, limit) = (u64::from(offset), u64::from(limit));
    let page_ids = match status_marks.as_slice() {
        [] => branch(None, limit, offset),
        [one] => branch(Some(one), limit, offset),
        many => {
            let branches: Vec<String> = many
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    format!(
                        "SELECT * FROM ({}) AS b{i}",
                        branch(Some(m), offset + limit, 0)
                    )
                })
                .collect();
            format!(
                "SELECT w.id, w.k FROM ({}) AS w ORDER BY w.k {dir}, w.id {dir} \
                 LIMIT {limit} OFFSET {offset}",
                branches.join(" UNION ALL ")
            )
        }
    };
    let sql = format!(
        "SELECT {COLUMNS}, o.name AS organisation_name, o.credit_code AS credit_code, \
         u.name AS applicant_name FROM ({page_ids}) AS p \
         JOIN applications a ON a.id = p.id \
         LEFT JOIN organisations o ON o.id = a.organisation_id \
         JOIN users u ON u.id = a.applicant_id \
         ORDER BY p.k {dir}, p.id {dir}"
    );
    let mut query = sqlx::query_as::<_, SummaryRow>(&sql);
    for a in &args {
        query = match a {
            Arg::Text(t) => query.bind(t.clone()),
            Arg::Int(i) => query.bind(*i),
        };
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let list = rows
        .into_iter()
        .map(|r| {
            Ok(Summary {
                record: ApplicationRecord::try_from(r.row)?,
                organisation_name: r.organisation_name,
                credit_code: r.credit_code,
                applicant_name: r.applicant_name,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if !counted {
        return Ok((list, 0));
    }
    let mut all = common.clone();
    if !status_marks.is_empty() {
        all.push(format!("a.status IN ({})", status_marks.join(", ")));
    }
    let count_sql = format!("SELECT COUNT(*) FROM applications a {}", where_of(&all));
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for a in &args {
        count = match a {
            Arg::Text(t) => count.bind(t.clone()),
            Arg::Int(i) => count.bind(*i),
        };
    }
    let (total,) = count.fetch_one(conn).await?;
    Ok((list, u64::try_from(total).unwrap_or(0)))
}

/// 已申请数量: certificates this organisation (or individual) has applied for,
/// not counting withdrawn or rejected applications.
pub async fn quantity_applied(conn: &mut AnyConnection, scope: Scope) -> Result<u64, StoreError> {
    let (sql, bind) = match scope {
        Scope::Organisation(org) => ("organisation_id = $1", org.to_text()),
        Scope::Applicant(u) => ("applicant_id = $1 AND organisation_id IS NULL", u.to_text()),
        Scope::All => ("1 = 1 OR $1 = ''", String::new()),
    };
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM applications WHERE {sql} \
         AND status NOT IN ('draft', 'withdrawn', 'rejected')"
    ))
    .bind(bind)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
