//! 初审 / 终审: 通过, 退回 (with a reason), 拒绝 (final, with a refund).

use domain::Fen;
use domain::application::{Kind, Quote, Stage, Step, Transition};
use domain::ids::ApplicationId;
use domain::text::Line;
use serde::{Deserialize, Serialize};

use super::transition::{self, By, Extras};
use super::{flow_of, load};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors, payments};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewDecision {
    /// 通过
    Approve,
    /// 退回: back to the applicant to fix.
    Return,
    /// 拒绝: final; a payment is refunded.
    Reject,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    /// 审核意见; required to return or reject.
    pub comment: String,
    /// 终审: "yes" when the stamped paper materials were received (seed 001).
    pub paper_received: String,
    /// 补办 at 初审: 过期时长 in months (0 when not expired).
    pub overdue_months: String,
    /// 补办 at 初审: 延期费用 in yuan (0 when not expired).
    pub overdue_fee: String,
    /// The version the reviewer saw.
    pub version: Option<i64>,
}

/// Decides the review the application waits for. The stage is the one it is at;
/// a decision on a stale page (someone else decided meanwhile) is refused.
pub async fn review(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    decision: ReviewDecision,
    input: &ReviewInput,
) -> Result<(), Error> {
    authorize(actor, Action::Review)?;
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    let flow = flow_of(&record)?;
    let Some(Step::Review(stage, _)) = flow.step() else {
        return Err(Error::Refused("transition.not_awaiting_review"));
    };
    if input.version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    let mut e = FieldErrors::new();
    let comment = input.comment.trim();
    if decision != ReviewDecision::Approve && comment.is_empty() {
        e.add("comment", "review.comment_required");
    } else if decision != ReviewDecision::Approve {
        e.check("comment", Line::<500>::parse(comment));
    } else if comment.chars().count() > 500 {
        e.add("comment", "text.too_long");
    }
    let sets_fee = record.kind == Kind::Replace && stage == Stage::First;
    let mut overdue = None;
    if decision == ReviewDecision::Approve {
        if stage == Stage::Final && !super::ticked(&input.paper_received) {
            e.add("paper_received", "review.paper_required");
        }
        if sets_fee {
            let months = match input.overdue_months.trim().parse::<u32>() {
                Ok(m) if m <= 1200 => Some(m),
                _ => {
                    e.add("overdue_months", "review.overdue_months");
                    None
                }
            };
            let fee = e.check("overdue_fee", Fen::parse_yuan(&input.overdue_fee));
            if let (Some(m), Some(f)) = (months, fee) {
                if m == 0 && f.0 > 0 {
                    e.add("overdue_fee", "review.fee_without_overdue");
                }
                overdue = Some((i64::from(m), f));
            }
        }
    }
    e.into_result()?;

    let (next, transition, extras_quote, refund) = match decision {
        ReviewDecision::Approve => {
            let (amount, quote) = match overdue {
                Some((_, fee)) => {
                    let base: Quote = record
                        .quote
                        .as_deref()
                        .and_then(|q| serde_json::from_str::<Quote>(q).ok())
                        .ok_or_else(|| Error::Internal(format!("application {id}: no quote")))?;
                    let q = Quote::compute(domain::application::QuoteInput {
                        unit_price: base.unit_price,
                        quantity: base.quantity,
                        years: base.years,
                        shipping: (base.shipping.0 > 0).then_some(base.shipping),
                        overdue: fee,
                    })
                    .map_err(|e| Error::field("overdue_fee", domain::Reason::key(&e)))?;
                    (Some(q.total), Some(q))
                }
                None => (None, None),
            };
            let next = flow
                .approve(stage, amount)
                .map_err(|e| Error::Refused(domain::Reason::key(&e)))?;
            (next, Transition::Approved, quote, false)
        }
        ReviewDecision::Return => (
            flow.return_to_applicant(stage)
                .map_err(|e| Error::Refused(domain::Reason::key(&e)))?,
            Transition::Returned,
            None,
            false,
        ),
        ReviewDecision::Reject => (
            flow.reject(stage)
                .map_err(|e| Error::Refused(domain::Reason::key(&e)))?,
            Transition::Rejected,
            None,
            flow.paid(),
        ),
    };
    let quote_json = extras_quote
        .map(|q| serde_json::to_string(&q))
        .transpose()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut comment = comment.to_owned();
    if decision == ReviewDecision::Approve && stage == Stage::Final {
        comment = if comment.is_empty() {
            "纸质材料已收到".into()
        } else {
            format!("纸质材料已收到；{comment}")
        };
    }
    if let Some((months, fee)) = overdue {
        let note = format!("过期时长 {months} 个月，延期费用 {fee}");
        comment = if comment.is_empty() {
            note
        } else {
            format!("{note}；{comment}")
        };
    }
    let closed = if decision == ReviewDecision::Reject {
        store::payments::close_pending(&mut tx, id).await?
    } else {
        Vec::new()
    };
    transition::commit(
        app,
        &mut tx,
        &record,
        next,
        transition,
        By::Person(actor),
        &comment,
        Extras {
            quote: quote_json.as_deref(),
            submitted: false,
            overdue: overdue.map(|(m, f)| (m, f.0)),
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    payments::close_at_provider(app, &closed).await;
    if refund {
        payments::refund(app, id).await?;
    }
    Ok(())
}
