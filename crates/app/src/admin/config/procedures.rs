//! 办理流程: the steps of each kind × channel. Only procedures that cannot issue
//! anything unpaid or unapproved are accepted (`Procedure::parse`); applications
//! already started keep the procedure they were created under.

use domain::application::{Channel, Kind, Procedure, ProcedureError};
use serde::{Deserialize, Serialize};

use super::{Source, audit, channel, kind, parsed};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// Every step an admin can choose, in the order a form offers them.
pub const STEP_CODES: &[&str] = &[
    "fill",
    "pay",
    "review:first",
    "review:first:auto",
    "review:final",
    "review:final:auto",
    "produce:operator",
    "produce:applicant",
    "deliver",
];

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureView {
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub channel: Channel,
    /// The steps in force, as codes: `fill`, `pay`, `review:first`, …
    pub steps: Vec<String>,
    /// The same, comma-separated: what [`SetProcedureInput::steps`] takes.
    pub code: String,
    pub default_code: String,
    pub source: Source,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SetProcedureInput {
    pub kind: String,
    pub channel: String,
    /// Comma-separated step codes: `fill,pay,review:first,produce:operator,deliver`.
    pub steps: String,
}

/// The catalogue key for why a procedure was refused.
fn refusal_key(e: &ProcedureError) -> &'static str {
    match e {
        ProcedureError::UnknownStep(_) => "config.procedure.unknown_step",
        ProcedureError::FillFirst => "config.procedure.fill_first",
        ProcedureError::TwoPayments => "config.procedure.two_payments",
        ProcedureError::NoReview => "config.procedure.no_review",
        ProcedureError::ReviewOrder => "config.procedure.review_order",
        ProcedureError::ProduceOrder => "config.procedure.produce_order",
        ProcedureError::DeliverOrder => "config.procedure.deliver_order",
        ProcedureError::ReplacePaidBeforeReview => "config.procedure.replace_paid_before_review",
        ProcedureError::CancelDelivers => "config.procedure.cancel_delivers",
    }
}

async fn view_of(
    conn: &mut store::AnyConnection,
    kind: Kind,
    channel: Channel,
) -> Result<ProcedureView, Error> {
    let stored = store::config::procedure(conn, kind, channel).await?;
    let in_force = crate::config::procedure(conn, kind, channel).await?;
    let default = Procedure::default_for(kind, channel);
    // A stored procedure that no longer parses is not in force: the default is.
    let configured = stored.is_some_and(|s| Procedure::parse(kind, &s).is_ok());
    Ok(ProcedureView {
        kind,
        channel,
        steps: in_force.steps().iter().map(|s| s.code()).collect(),
        code: in_force.code(),
        default_code: default.code(),
        source: Source::of(configured),
    })
}

/// Every kind × channel, with its steps in force.
pub async fn procedures(app: &App, actor: &Actor) -> Result<Vec<ProcedureView>, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    let mut out = Vec::new();
    for k in Kind::ALL {
        for c in Channel::ALL {
            out.push(view_of(&mut conn, *k, *c).await?);
        }
    }
    Ok(out)
}

/// One kind × channel (`NotFound` for values that are neither).
pub async fn procedure(
    app: &App,
    actor: &Actor,
    kind_text: &str,
    channel_text: &str,
) -> Result<ProcedureView, Error> {
    authorize(actor, Action::Configure)?;
    let (Ok(k), Ok(c)) = (Kind::parse(kind_text), Channel::parse(channel_text)) else {
        return Err(Error::NotFound);
    };
    let mut conn = app.store.conn().await?;
    view_of(&mut conn, k, c).await
}

pub async fn set_procedure(
    app: &App,
    actor: &Actor,
    input: &SetProcedureInput,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let k = kind(&mut errors, &input.kind);
    let c = channel(&mut errors, &input.channel);
    let procedure = k.and_then(|k| match Procedure::parse(k, &input.steps) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("steps", refusal_key(&e));
            None
        }
    });
    let (procedure, c) = parsed(errors, procedure.zip(c))?;
    let mut tx = app.store.begin().await?;
    store::config::set_procedure(&mut tx, procedure.kind(), c, &procedure.code(), app.now())
        .await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.procedure.set",
        &format!("config:procedure:{}:{c}", procedure.kind()),
        &procedure.code(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Back to the shipped procedure (DESIGN.md §3).
pub async fn reset_procedure(
    app: &App,
    actor: &Actor,
    kind_text: &str,
    channel_text: &str,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let k = kind(&mut errors, kind_text);
    let c = channel(&mut errors, channel_text);
    let (k, c) = parsed(errors, k.zip(c))?;
    let mut tx = app.store.begin().await?;
    store::config::delete_procedure(&mut tx, k, c).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.procedure.reset",
        &format!("config:procedure:{k}:{c}"),
        &Procedure::default_for(k, c).code(),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
