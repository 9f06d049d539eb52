//! Procedures: the steps an application goes through, as data (DESIGN.md §3).
//! Admins may change them per kind and channel; an application keeps the procedure
//! it was created under, so a change never moves an order already under way.

use std::fmt;

use super::kind::{Channel, Kind};
use super::text_enum;
use crate::Reason;

text_enum! {
    /// 初审 or 终审.
    pub enum Stage / StageError ("stage.unknown") {
        First => "first",
        Final => "final",
    }
}

text_enum! {
    /// A reviewer decides, or the rules approve at once when they pass.
    pub enum ReviewMode / ReviewModeError ("review_mode.unknown") {
        Manual => "manual",
        Auto => "auto",
    }
}

text_enum! {
    /// Who produces: an operator at the desk, or the applicant online with their own key.
    pub enum Producer / ProducerError ("producer.unknown") {
        Operator => "operator",
        Applicant => "applicant",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// The applicant fills the form and uploads documents; submitting ends the step.
    Fill,
    /// QR payment of the order amount; skipped when the amount is 0 or already paid.
    Pay,
    Review(Stage, ReviewMode),
    Produce(Producer),
    /// Mail (tracking number), pickup (pickup code) or nothing for a download.
    Deliver,
}

impl Step {
    /// The step as written in a procedure: `fill`, `pay`, `review:first`,
    /// `review:final:auto`, `produce:operator`, `deliver`.
    pub fn code(self) -> String {
        match self {
            Step::Fill => "fill".into(),
            Step::Pay => "pay".into(),
            Step::Review(stage, ReviewMode::Manual) => format!("review:{stage}"),
            Step::Review(stage, ReviewMode::Auto) => format!("review:{stage}:auto"),
            Step::Produce(p) => format!("produce:{p}"),
            Step::Deliver => "deliver".into(),
        }
    }

    fn parse(code: &str) -> Result<Step, ProcedureError> {
        let unknown = || ProcedureError::UnknownStep(code.to_owned());
        let parts: Vec<&str> = code.trim().split(':').collect();
        match parts.as_slice() {
            ["fill"] => Ok(Step::Fill),
            ["pay"] => Ok(Step::Pay),
            ["review", stage] => Ok(Step::Review(
                Stage::parse(stage).map_err(|_| unknown())?,
                ReviewMode::Manual,
            )),
            ["review", stage, mode] => Ok(Step::Review(
                Stage::parse(stage).map_err(|_| unknown())?,
                ReviewMode::parse(mode).map_err(|_| unknown())?,
            )),
            ["produce", p] => Ok(Step::Produce(Producer::parse(p).map_err(|_| unknown())?)),
            ["deliver"] => Ok(Step::Deliver),
            _ => Err(unknown()),
        }
    }
}

/// A valid list of steps for one kind. See [`Procedure::parse`] for the rules.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Procedure {
    kind: Kind,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcedureError {
    #[error("unknown step {0:?}")]
    UnknownStep(String),
    #[error("a procedure starts with fill, and only once")]
    FillFirst,
    #[error("at most one payment step")]
    TwoPayments,
    #[error("at least one review: nothing is issued that was not approved")]
    NoReview,
    #[error("each review stage appears once, 初审 before 终审")]
    ReviewOrder,
    #[error("exactly one produce step, after every review and the payment")]
    ProduceOrder,
    #[error("deliver comes last, after produce, at most once")]
    DeliverOrder,
    #[error("补办 is paid after the review that sets its overdue fee")]
    ReplacePaidBeforeReview,
    #[error("注销 revokes: there is nothing to deliver")]
    CancelDelivers,
}

impl Reason for ProcedureError {
    fn key(&self) -> &'static str {
        match self {
            ProcedureError::UnknownStep(_) => "procedure.unknown_step",
            ProcedureError::FillFirst => "procedure.fill_first",
            ProcedureError::TwoPayments => "procedure.two_payments",
            ProcedureError::NoReview => "procedure.no_review",
            ProcedureError::ReviewOrder => "procedure.review_order",
            ProcedureError::ProduceOrder => "procedure.produce_order",
            ProcedureError::DeliverOrder => "procedure.deliver_order",
            ProcedureError::ReplacePaidBeforeReview => "procedure.replace_paid_before_review",
            ProcedureError::CancelDelivers => "procedure.cancel_delivers",
        }
    }
}

impl Procedure {
    /// The shipped default for a kind and channel (DESIGN.md §3).
    pub fn default_for(kind: Kind, channel: Channel) -> Procedure {
        use Channel::*;
        use Kind::*;
        let text = match (kind, channel) {
            (New, Online) => "fill,pay,review:first,review:final,produce:operator,deliver",
            (New, OnSite) | (Renew, OnSite) => "fill,review:first,pay,produce:operator,deliver",
            (Renew, Online) => "fill,pay,review:first:auto,produce:applicant",
            (Replace, _) => "fill,review:first,pay,produce:operator,deliver",
            (Change, Online) => "fill,pay,review:first,produce:applicant",
            (Change, OnSite) => "fill,review:first,pay,produce:operator,deliver",
            (Inspect, Online) => "fill,pay,review:first:auto,produce:applicant",
            (Inspect, OnSite) => "fill,review:first,pay,produce:operator,deliver",
            (Cancel, _) => "fill,review:first,produce:operator",
        };
        match Procedure::parse(kind, text) {
            Ok(p) => p,
            // The table above is checked by a test; this arm is unreachable.
            Err(_) => Procedure {
                kind,
                steps: vec![Step::Fill],
            },
        }
    }

    /// Parses `fill,pay,review:first,…` and checks that it is a procedure that cannot
    /// issue anything unpaid or unapproved:
    /// fill first and only once; at most one payment; at least one review, 初审 before 终审;
    /// exactly one produce, after every review and the payment; deliver last, if at all.
    /// 补办 pays after its first review (the reviewer sets the overdue fee there), and
    /// 注销 delivers nothing.
    pub fn parse(kind: Kind, text: &str) -> Result<Procedure, ProcedureError> {
        let steps = text
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Step::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Procedure::new(kind, steps)
    }

    pub fn new(kind: Kind, steps: Vec<Step>) -> Result<Procedure, ProcedureError> {
        let position = |want: fn(&Step) -> bool| steps.iter().position(want);
        let count = |want: fn(&Step) -> bool| steps.iter().filter(|s| want(s)).count();

        if steps.first() != Some(&Step::Fill) || count(|s| *s == Step::Fill) != 1 {
            return Err(ProcedureError::FillFirst);
        }
        if count(|s| *s == Step::Pay) > 1 {
            return Err(ProcedureError::TwoPayments);
        }
        let first = position(|s| matches!(s, Step::Review(Stage::First, _)));
        let last_review = steps.iter().rposition(|s| matches!(s, Step::Review(..)));
        if last_review.is_none() {
            return Err(ProcedureError::NoReview);
        }
        let finals = position(|s| matches!(s, Step::Review(Stage::Final, _)));
        if count(|s| matches!(s, Step::Review(Stage::First, _))) != 1
            || count(|s| matches!(s, Step::Review(Stage::Final, _))) > 1
            || finals.is_some_and(|f| first.is_none_or(|first| f < first))
        {
            return Err(ProcedureError::ReviewOrder);
        }
        let produce = position(|s| matches!(s, Step::Produce(_)));
        let pay = position(|s| *s == Step::Pay);
        match produce {
            Some(p)
                if count(|s| matches!(s, Step::Produce(_))) == 1
                    && last_review.is_some_and(|r| r < p)
                    && pay.is_none_or(|pay| pay < p) => {}
            _ => return Err(ProcedureError::ProduceOrder),
        }
        if let Some(d) = position(|s| *s == Step::Deliver) {
            if d != steps.len() - 1 || count(|s| *s == Step::Deliver) != 1 {
                return Err(ProcedureError::DeliverOrder);
            }
            if kind == Kind::Cancel {
                return Err(ProcedureError::CancelDelivers);
            }
        } else if produce != Some(steps.len() - 1) {
            return Err(ProcedureError::DeliverOrder);
        }
        if kind == Kind::Replace && pay.is_some_and(|pay| first.is_none_or(|first| pay < first)) {
            return Err(ProcedureError::ReplacePaidBeforeReview);
        }
        Ok(Procedure { kind, steps })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn step(&self, index: usize) -> Option<Step> {
        self.steps.get(index).copied()
    }

    pub fn code(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether the payment comes before the first review (the applicant pays on submitting).
    pub fn pays_on_submit(&self) -> bool {
        self.steps.get(1) == Some(&Step::Pay)
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl fmt::Debug for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Procedure({}: {})", self.kind, self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_is_valid_and_round_trips() {
        for kind in Kind::ALL {
            for channel in Channel::ALL {
                let p = Procedure::default_for(*kind, *channel);
                assert!(p.steps().len() >= 3, "{kind} {channel}: {p:?}");
                assert_eq!(Procedure::parse(*kind, &p.code()).as_ref(), Ok(&p));
            }
        }
        assert_eq!(
            Procedure::default_for(Kind::New, Channel::Online).code(),
            "fill,pay,review:first,review:final,produce:operator,deliver"
        );
        assert_eq!(
            Procedure::default_for(Kind::Renew, Channel::Online).code(),
            "fill,pay,review:first:auto,produce:applicant"
        );
    }

    #[test]
    fn unsafe_or_malformed_procedures_are_refused() {
        use ProcedureError::*;
        let cases = [
            (Kind::New, "", FillFirst),
            (
                Kind::New,
                "pay,fill,review:first,produce:operator",
                FillFirst,
            ),
            (
                Kind::New,
                "fill,fill,review:first,produce:operator",
                FillFirst,
            ),
            (
                Kind::New,
                "fill,pay,pay,review:first,produce:operator",
                TwoPayments,
            ),
            (Kind::New, "fill,pay,produce:operator", NoReview),
            (
                Kind::New,
                "fill,review:final,review:first,produce:operator",
                ReviewOrder,
            ),
            (Kind::New, "fill,review:final,produce:operator", ReviewOrder),
            (
                Kind::New,
                "fill,review:first,review:first,produce:operator",
                ReviewOrder,
            ),
            (Kind::New, "fill,review:first,pay", ProduceOrder),
            (
                Kind::New,
                "fill,review:first,produce:operator,pay",
                ProduceOrder,
            ),
            (
                Kind::New,
                "fill,produce:operator,review:first",
                ProduceOrder,
            ),
            (
                Kind::New,
                "fill,review:first,produce:operator,produce:applicant",
                ProduceOrder,
            ),
            (
                Kind::New,
                "fill,review:first,deliver,produce:operator",
                DeliverOrder,
            ),
            (
                Kind::New,
                "fill,review:first,produce:operator,deliver,deliver",
                DeliverOrder,
            ),
            (
                Kind::Replace,
                "fill,pay,review:first,produce:operator,deliver",
                ReplacePaidBeforeReview,
            ),
            (
                Kind::Cancel,
                "fill,review:first,produce:operator,deliver",
                CancelDelivers,
            ),
            (
                Kind::New,
                "fill,review:second,produce:operator",
                UnknownStep("review:second".into()),
            ),
            (
                Kind::New,
                "fill,sign,produce:operator",
                UnknownStep("sign".into()),
            ),
        ];
        for (kind, text, want) in cases {
            assert_eq!(Procedure::parse(kind, text), Err(want), "{text}");
        }
    }

    #[test]
    fn every_step_code_parses_back() {
        let steps = [
            Step::Fill,
            Step::Pay,
            Step::Review(Stage::First, ReviewMode::Manual),
            Step::Review(Stage::Final, ReviewMode::Auto),
            Step::Produce(Producer::Applicant),
            Step::Deliver,
        ];
        for s in steps {
            assert_eq!(Step::parse(&s.code()), Ok(s));
        }
    }
}
