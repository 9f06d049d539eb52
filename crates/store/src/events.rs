//! 流程审批记录: every transition of an application — who, when, what, comment. Append-only.

use domain::application::{Status, Transition};
use domain::ids::{ApplicationId, EventId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct Event {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub transition: Transition,
    pub from_status: Status,
    pub to_status: Status,
    pub comment: String,
}

pub struct NewEvent<'a> {
    pub application_id: ApplicationId,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor_name: &'a str,
    pub transition: Transition,
    pub from_status: Status,
    pub to_status: Status,
    pub comment: &'a str,
}

pub async fn append(conn: &mut AnyConnection, e: &NewEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO application_events (id, application_id, at, actor_id, actor_name, transition, \
         from_status, to_status, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(EventId::new().to_text())
    .bind(e.application_id.to_text())
    .bind(micros(e.at))
    .bind(e.actor_id.map(UserId::to_text))
    .bind(e.actor_name)
    .bind(e.transition.as_str())
    .bind(e.from_status.as_str())
    .bind(e.to_status.as_str())
    .bind(e.comment)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    at: i64,
    actor_id: Option<String>,
    actor_name: String,
    transition: String,
    from_status: String,
    to_status: String,
    comment: String,
}

/// Oldest first.
pub async fn for_application(
    conn: &mut AnyConnection,
    id: ApplicationId,
) -> Result<Vec<Event>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT at, actor_id, actor_name, transition, from_status, to_status, comment \
         FROM application_events WHERE application_id = $1 ORDER BY at, id",
    )
    .bind(id.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt = |w: &str| StoreError::Corrupt(format!("event of {id}: {w}"));
            Ok(Event {
                at: from_micros(r.at)?,
                actor_id: r
                    .actor_id
                    .as_deref()
                    .map(UserId::parse)
                    .transpose()
                    .map_err(|_| corrupt("actor"))?,
                transition: Transition::parse(&r.transition).map_err(|_| corrupt("transition"))?,
                from_status: Status::parse(&r.from_status).map_err(|_| corrupt("from"))?,
                to_status: Status::parse(&r.to_status).map_err(|_| corrupt("to"))?,
                actor_name: r.actor_name,
                comment: r.comment,
            })
        })
        .collect()
}

/// Appends many events with few statements (a group of productions).
pub async fn append_many(
    conn: &mut AnyConnection,
    events: &[NewEvent<'_>],
) -> Result<(), StoreError> {
    for chunk in events.chunks(crate::MANY_ROWS) {
        let sql = format!(
            "INSERT INTO application_events (id, application_id, at, actor_id, actor_name, \
             transition, from_status, to_status, comment) VALUES {}",
            crate::values_list(chunk.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(EventId::new().to_text())
                .bind(e.application_id.to_text())
                .bind(micros(e.at))
                .bind(e.actor_id.map(UserId::to_text))
                .bind(e.actor_name)
                .bind(e.transition.as_str())
                .bind(e.from_status.as_str())
                .bind(e.to_status.as_str())
                .bind(e.comment);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
