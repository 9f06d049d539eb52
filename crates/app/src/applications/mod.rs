//! Applications, from 新增申请 to 待制证: one file per group of actions.
//!
//! An application's place in its procedure is a [`domain::application::Flow`]; every
//! change of it goes through [`transition::commit`], which checks the version the
//! actor saw, writes the new state, appends to 流程审批记录 and notifies the applicant,
//! in one transaction.

mod delivery;
mod documents;
mod form;
mod lifecycle;
pub(crate) mod list;
mod produce;
mod readout;
mod review;
mod transition;
mod view;
mod writer;

pub use delivery::{DeliveryView, HandOverInput, ShipInput, confirm_receipt, hand_over, ship};
pub use documents::{
    DocumentDownload, TemplateDownload, download_document, render_template, upload_document,
};
pub use form::{ApplicationInput, chooses_delivery};
pub use lifecycle::{StartInput, SubmitInput, save, start, submit, withdraw};
pub use list::{ListQuery, ListView, SummaryView, export_csv, list, queue};
pub use produce::{ProduceInput, Produced, produce};
pub use readout::{KeyReadout, KeyReadoutInput, read_key};
pub use review::{ReviewDecision, ReviewInput, review};
pub use view::{
    ApplicationView, DocumentView, EventView, RequirementView, ServicePointView, StepView,
    service_points, view,
};
pub(crate) use writer::Writer;

use domain::Fen;
use domain::application::{Flow, Position, Procedure};
use domain::ids::ApplicationId;
use store::AnyConnection;
use store::applications::{ApplicationRecord, FlowColumns};

use crate::Error;
use crate::authz::Owner;

pub(crate) fn owner(r: &ApplicationRecord) -> Owner {
    Owner {
        organisation: r.organisation_id,
        applicant: r.applicant_id,
    }
}

pub(crate) async fn load(
    conn: &mut AnyConnection,
    id: ApplicationId,
) -> Result<ApplicationRecord, Error> {
    store::applications::get(conn, id)
        .await?
        .ok_or(Error::NotFound)
}

pub(crate) fn flow_of(r: &ApplicationRecord) -> Result<Flow, Error> {
    let procedure = Procedure::parse(r.kind, &r.procedure)
        .map_err(|e| Error::Internal(format!("application {}: procedure: {e}", r.id)))?;
    let position = match r.position.as_str() {
        "at" => Position::At(usize::try_from(r.step_index).unwrap_or(usize::MAX)),
        "completed" => Position::Completed,
        "rejected" => Position::Rejected,
        "withdrawn" => Position::Withdrawn,
        other => {
            return Err(Error::Internal(format!(
                "application {}: position {other}",
                r.id
            )));
        }
    };
    Flow::restore(
        procedure,
        position,
        Fen(r.amount),
        r.delivery,
        r.paid,
        r.returned,
        r.shipped,
    )
    .ok_or_else(|| Error::Internal(format!("application {}: flow does not fit", r.id)))
}

pub(crate) fn columns(flow: &Flow) -> FlowColumns {
    let (position, step_index) = match flow.position() {
        Position::At(i) => ("at", i64::try_from(i).unwrap_or(0)),
        Position::Completed => ("completed", 0),
        Position::Rejected => ("rejected", 0),
        Position::Withdrawn => ("withdrawn", 0),
    };
    FlowColumns {
        position,
        step_index,
        status: flow.status(),
        amount: flow.amount().0,
        delivery: flow.delivery(),
        paid: flow.paid(),
        returned: flow.returned(),
        shipped: flow.shipped(),
    }
}

/// A ticked checkbox or a yes in the API: "yes", "on", "true" or "1".
pub fn ticked(s: &str) -> bool {
    matches!(s.trim(), "yes" | "on" | "true" | "1")
}

pub(crate) async fn commit_payment(
    app: &crate::App,
    conn: &mut AnyConnection,
    record: &ApplicationRecord,
    next: Flow,
    comment: &str,
) -> Result<(), Error> {
    transition::commit(
        app,
        conn,
        record,
        next,
        domain::application::Transition::Paid,
        transition::By::System,
        comment,
        transition::Extras::default(),
    )
    .await?;
    Ok(())
}
