//! 订单管理 (the applicant's orders), 代办事宜 (staff queues) and 导出申领信息 (CSV).

use domain::application::{CertType, Channel, Delivery, Kind, Status};
use domain::ids::ApplicationId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::applications::{Filter, Order, Scope, Summary};

use super::documents::{cert_type_zh, kind_zh};
use super::transition::shanghai;
use crate::authz::{Action, authorize};
use crate::notifications::status_zh;
use crate::{Actor, App, Error};

pub const PAGE_SIZE: u32 = 20;

/// Filters of a list, as the query string carries them.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(default)]
pub struct ListQuery {
    /// A status key (draft, awaiting_payment, …); empty for all.
    pub status: String,
    /// A kind key (new, renew, …); empty for all.
    pub kind: String,
    /// 代办事宜: first | final | production; empty for every stage that waits for staff.
    pub stage: String,
    /// An order number, an organisation's name (part of it) or its 统一社会信用代码.
    pub q: String,
    /// Created on or after this date (YYYY-MM-DD).
    pub from: String,
    /// Created on or before this date (YYYY-MM-DD).
    pub to: String,
    /// "yes": only those past their SLA due date.
    pub overdue: String,
    /// From 1.
    pub page: Option<u32>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryView {
    #[schema(value_type = String)]
    pub id: ApplicationId,
    pub order_number: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub cert_type: CertType,
    #[schema(value_type = String)]
    pub channel: Channel,
    #[schema(value_type = String)]
    pub delivery: Delivery,
    #[schema(value_type = String)]
    pub status: Status,
    pub quantity: u32,
    pub amount: i64,
    pub paid: bool,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    pub applicant_name: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    /// When it reached its current step (the queue's order).
    #[schema(value_type = String)]
    pub waiting_since: Timestamp,
    pub due_on: Option<String>,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ListView {
    pub items: Vec<SummaryView>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
}

fn filter_of(q: &ListQuery, today: &str) -> Result<Filter, Error> {
    let mut f = Filter::default();
    if !q.status.trim().is_empty() {
        f.statuses =
            vec![Status::parse(&q.status).map_err(|_| Error::field("status", "status.unknown"))?];
    }
    if !q.kind.trim().is_empty() {
        f.kind = Some(Kind::parse(&q.kind).map_err(|_| Error::field("kind", "kind.unknown"))?);
    }
    if !q.q.trim().is_empty() {
        f.search = Some(q.q.trim().chars().take(100).collect());
    }
    let day = |s: &str, field: &'static str| -> Result<Option<Timestamp>, Error> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let d: jiff::civil::Date = s
            .trim()
            .parse()
            .map_err(|_| Error::field(field, "date.invalid"))?;
        d.to_zoned(shanghai())
            .map(|z| Some(z.timestamp()))
            .map_err(|_| Error::field(field, "date.invalid"))
    };
    f.created_from = day(&q.from, "from")?;
    f.created_before = match day(&q.to, "to")? {
        Some(t) => Some(
            t.checked_add(jiff::SignedDuration::from_hours(24))
                .map_err(|_| Error::field("to", "date.invalid"))?,
        ),
        None => None,
    };
    if super::ticked(&q.overdue) {
        f.due_before = Some(today.to_owned());
    }
    Ok(f)
}

fn summary_view(s: Summary, today: &str) -> SummaryView {
    let r = s.record;
    SummaryView {
        overdue: r.due_on.as_deref().is_some_and(|d| d < today),
        id: r.id,
        order_number: r.order_number.to_string(),
        kind: r.kind,
        cert_type: r.cert_type,
        channel: r.channel,
        delivery: r.delivery,
        status: r.status,
        quantity: r.quantity,
        amount: r.amount,
        paid: r.paid,
        organisation_name: s.organisation_name,
        credit_code: s.credit_code,
        applicant_name: s.applicant_name,
        created_at: r.created_at,
        waiting_since: r.step_entered_at,
        due_on: r.due_on,
    }
}

fn today(app: &App) -> String {
    app.now().to_zoned(shanghai()).date().to_string()
}

fn scope_of(actor: &Actor) -> Result<Scope, Error> {
    if actor.role.is_staff() {
        authorize(actor, Action::ViewQueue)?;
        return Ok(Scope::All);
    }
    authorize(actor, Action::Apply)?;
    Ok(match actor.organisation() {
        Some(org) => Scope::Organisation(org),
        None => Scope::Applicant(actor.id),
    })
}

/// 订单管理: an applicant sees their organisation's orders (or their own, as an
/// individual); staff see all. Newest first.
pub async fn list(app: &App, actor: &Actor, query: &ListQuery) -> Result<ListView, Error> {
    let scope = scope_of(actor)?;
    let today = today(app);
    let filter = filter_of(query, &today)?;
    page_of(app, scope, &filter, Order::NewestFirst, query.page, &today).await
}

async fn page_of(
    app: &App,
    scope: Scope,
    filter: &Filter,
    order: Order,
    page: Option<u32>,
    today: &str,
) -> Result<ListView, Error> {
    let page = page.unwrap_or(1).max(1);
    let mut conn = app.store.conn().await?;
    let (items, total) = store::applications::list(
        &mut conn,
        scope,
        filter,
        order,
        (page - 1).saturating_mul(PAGE_SIZE),
        PAGE_SIZE,
    )
    .await?;
    Ok(ListView {
        items: items.into_iter().map(|s| summary_view(s, today)).collect(),
        total,
        page,
        pages: u32::try_from(total.div_ceil(u64::from(PAGE_SIZE)))
            .unwrap_or(u32::MAX)
            .max(1),
    })
}

/// 代办事宜: what waits for staff, the longest waiting first.
pub async fn queue(app: &App, actor: &Actor, query: &ListQuery) -> Result<ListView, Error> {
    authorize(actor, Action::ViewQueue)?;
    let today = today(app);
    let mut filter = filter_of(query, &today)?;
    if filter.statuses.is_empty() {
        filter.statuses = match query.stage.trim() {
            "first" => vec![Status::AwaitingFirstReview],
            "final" => vec![Status::AwaitingFinalReview],
            "production" => vec![Status::AwaitingProduction],
            "" => match actor.role {
                domain::account::Role::Operator => vec![Status::AwaitingProduction],
                _ => vec![Status::AwaitingFirstReview, Status::AwaitingFinalReview],
            },
            _ => return Err(Error::field("stage", "stage.unknown")),
        };
    }
    page_of(
        app,
        Scope::All,
        &filter,
        Order::LongestWaiting,
        query.page,
        &today,
    )
    .await
}

/// 导出申领信息: the filtered list as CSV with Chinese headers (UTF-8 with a BOM, so
/// Excel reads the Chinese right). ID numbers are not exported.
pub async fn export_csv(app: &App, actor: &Actor, query: &ListQuery) -> Result<String, Error> {
    authorize(actor, Action::ViewQueue)?;
    let today = today(app);
    let filter = filter_of(query, &today)?;
    let mut out = String::from(
        "\u{feff}订单号,业务类型,证书类型,办理方式,单位名称,统一社会信用代码,经办人,数量,金额(元),是否支付,状态,领取方式,申请时间,审核期限\r\n",
    );
    let mut conn = app.store.conn().await?;
    let mut filter = filter;
    const CHUNK: u32 = 1000;
    loop {
        // Each chunk goes on after the last row of the one before (an index walk), not
        // past an ever larger offset.
        let items =
            store::applications::page(&mut conn, Scope::All, &filter, Order::NewestFirst, 0, CHUNK)
                .await?;
        let n = items.len();
        filter.after = items.last().map(|s| (s.record.created_at, s.record.id));
        for s in items {
            let r = &s.record;
            let row = [
                r.order_number.to_string(),
                kind_zh(r.kind).into(),
                cert_type_zh(r.cert_type).into(),
                match r.channel {
                    Channel::Online => "网上办理".into(),
                    Channel::OnSite => "现场办理".into(),
                },
                s.organisation_name.clone().unwrap_or_else(|| "个人".into()),
                s.credit_code.clone().unwrap_or_default(),
                s.applicant_name.clone(),
                r.quantity.to_string(),
                domain::Fen(r.amount).yuan_string(),
                if r.paid { "是".into() } else { "否".into() },
                status_zh(r.status).into(),
                match r.delivery {
                    Delivery::Mail => "邮寄".into(),
                    Delivery::Pickup => "网点领取".into(),
                    Delivery::Download => "在线下载".into(),
                },
                r.created_at
                    .to_zoned(shanghai())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                r.due_on.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        if n < CHUNK as usize {
            break;
        }
    }
    Ok(out)
}

/// Quotes a CSV field; a leading =, +, - or @ is defused so a spreadsheet does not run it.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("abc"), "abc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
    }
}
