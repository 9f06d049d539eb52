//! The one way an application's state changes.

use domain::application::{Flow, Stage, Step, Transition};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use store::AnyConnection;
use store::applications::{ApplicationRecord, FlowUpdate};
use store::events::NewEvent;

use super::columns;
use crate::{Actor, App, Error, config, notifications};

/// What else a transition writes besides the new state.
#[derive(Default)]
pub(crate) struct Extras<'a> {
    pub quote: Option<&'a str>,
    pub submitted: bool,
    pub overdue: Option<(i64, i64)>,
}

/// Who made the change, as 流程审批记录 shows it.
pub(crate) enum By<'a> {
    Person(&'a Actor),
    /// The rules (auto review) or the payment provider.
    System,
}

/// Writes `next` over `record` if nobody changed the application since it was read,
/// records the event, and notifies the applicant. Then, when the next step is an
/// automatic review, takes it at once.
// Each argument is a distinct part of one change; bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn commit(
    app: &App,
    conn: &mut AnyConnection,
    record: &ApplicationRecord,
    next: Flow,
    transition: Transition,
    by: By<'_>,
    comment: &str,
    extras: Extras<'_>,
) -> Result<Flow, Error> {
    let now = app.now();
    let cols = columns(&next);
    let step_changed = cols.step_index != record.step_index
        || cols.position != record.position
        || next.status() != record.status;
    let due_on = match next.step() {
        Some(Step::Review(..)) if step_changed => Some(review_due_on(conn, now).await?),
        Some(Step::Review(..)) => record.due_on.clone(),
        _ => None,
    };
    let updated = store::applications::update_flow(
        conn,
        record.id,
        record.version,
        &FlowUpdate {
            flow: &cols,
            at: now,
            step_changed,
            due_on: due_on.as_deref(),
            quote: extras.quote,
            submitted: extras.submitted,
            overdue: extras.overdue,
        },
    )
    .await?;
    if !updated {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let (actor_id, actor_name) = match by {
        By::Person(a) => (a.audit_id(), a.name.as_str()),
        By::System => (None, "系统"),
    };
    store::events::append(
        conn,
        &NewEvent {
            application_id: record.id,
            at: now,
            actor_id,
            actor_name,
            transition,
            from_status: record.status,
            to_status: next.status(),
            comment,
        },
    )
    .await?;
    if next.status() != record.status {
        notifications::status_changed(app, conn, record, next.status(), comment).await?;
    }
    tracing::info!(application = %record.id, from = %record.status, to = %next.status(), %transition, "application moved");

    // 年检 / 延期 online: the rules approve at once.
    if let Some(Step::Review(stage, domain::application::ReviewMode::Auto)) = next.step() {
        let fresh = super::load(conn, record.id).await?;
        let approved = next
            .approve(stage, None)
            .map_err(|e| Error::Internal(format!("auto review: {e}")))?;
        return Box::pin(commit(
            app,
            conn,
            &fresh,
            approved,
            Transition::AutoApproved,
            By::System,
            auto_comment(stage),
            Extras::default(),
        ))
        .await;
    }
    Ok(next)
}

fn auto_comment(stage: Stage) -> &'static str {
    match stage {
        Stage::First => "自动审核通过",
        Stage::Final => "自动终审通过",
    }
}

/// The date a review is due: the configured number of working days after today (Shanghai).
async fn review_due_on(conn: &mut AnyConnection, now: Timestamp) -> Result<String, Error> {
    let days = config::review_sla_days(conn).await?;
    let calendar = config::calendar(conn).await?;
    let today = now.to_zoned(shanghai()).date();
    Ok(calendar.add_working_days(today, days).to_string())
}

pub(crate) fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC)
}
