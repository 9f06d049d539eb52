//! The state machine of an application. A [`Flow`] is where an application stands in
//! its procedure; each transition is a method that returns the next flow or says why
//! it is not allowed. The applicant-facing [`Status`] is derived, never stored apart.

use super::kind::Delivery;
use super::procedure::{Procedure, Stage, Step};
use super::text_enum;
use crate::Fen;
use crate::Reason;

/// Where the application stands: at a step of its procedure, or finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    At(usize),
    Completed,
    Rejected,
    Withdrawn,
}

text_enum! {
    /// What the applicant sees (订单状态).
    pub enum Status / StatusError ("status.unknown") {
        /// 草稿
        Draft => "draft",
        /// 已退回: back at the applicant to fix, with the reviewer's reason.
        Returned => "returned",
        /// 待支付
        AwaitingPayment => "awaiting_payment",
        /// 待初审
        AwaitingFirstReview => "awaiting_first_review",
        /// 待终审
        AwaitingFinalReview => "awaiting_final_review",
        /// 待制证
        AwaitingProduction => "awaiting_production",
        /// 待发货
        AwaitingShipment => "awaiting_shipment",
        /// 待领取
        AwaitingPickup => "awaiting_pickup",
        /// 已发货
        Shipped => "shipped",
        /// 已完成
        Completed => "completed",
        /// 已拒绝
        Rejected => "rejected",
        /// 已撤回
        Withdrawn => "withdrawn",
    }
}

impl Status {
    /// Whether the application is finished, one way or another.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Rejected | Status::Withdrawn
        )
    }
}

text_enum! {
    /// A transition, as recorded in 流程审批记录.
    pub enum Transition / TransitionError ("transition.unknown") {
        Created => "created",
        Saved => "saved",
        Submitted => "submitted",
        Paid => "paid",
        Approved => "approved",
        AutoApproved => "auto_approved",
        Returned => "returned",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Produced => "produced",
        Shipped => "shipped",
        Delivered => "delivered",
    }
}

/// A transition asked for where the procedure does not allow it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{transition} is not allowed when the application is {status}")]
pub struct IllegalTransition {
    pub transition: Transition,
    pub status: Status,
}

impl Reason for IllegalTransition {
    fn key(&self) -> &'static str {
        match self.transition {
            Transition::Withdrawn if self.status != Status::Withdrawn => {
                "transition.withdraw_after_payment"
            }
            Transition::Saved | Transition::Submitted => "transition.not_editable",
            Transition::Paid => "transition.not_awaiting_payment",
            Transition::Approved
            | Transition::AutoApproved
            | Transition::Returned
            | Transition::Rejected => "transition.not_awaiting_review",
            _ => "transition.not_allowed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    procedure: Procedure,
    position: Position,
    /// The amount due, as last set at submission or by the fee-setting review.
    amount: Fen,
    delivery: Delivery,
    paid: bool,
    /// At fill because a reviewer sent it back.
    returned: bool,
    /// At deliver by mail, after the parcel left.
    shipped: bool,
}

impl Flow {
    /// A new draft, at the procedure's first step (fill).
    pub fn new(procedure: Procedure, delivery: Delivery) -> Flow {
        Flow {
            procedure,
            position: Position::At(0),
            amount: Fen(0),
            delivery,
            paid: false,
            returned: false,
            shipped: false,
        }
    }

    /// Rebuilds a flow from what was stored. Returns `None` when the parts do not fit
    /// together (a step index outside the procedure).
    pub fn restore(
        procedure: Procedure,
        position: Position,
        amount: Fen,
        delivery: Delivery,
        paid: bool,
        returned: bool,
        shipped: bool,
    ) -> Option<Flow> {
        if let Position::At(i) = position {
            procedure.step(i)?;
        }
        Some(Flow {
            procedure,
            position,
            amount,
            delivery,
            paid,
            returned,
            shipped,
        })
    }

    pub fn procedure(&self) -> &Procedure {
        &self.procedure
    }
    pub fn position(&self) -> Position {
        self.position
    }
    pub fn amount(&self) -> Fen {
        self.amount
    }
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }
    pub fn paid(&self) -> bool {
        self.paid
    }
    pub fn returned(&self) -> bool {
        self.returned
    }
    pub fn shipped(&self) -> bool {
        self.shipped
    }

    /// The step the application is at, if it is not finished.
    pub fn step(&self) -> Option<Step> {
        match self.position {
            Position::At(i) => self.procedure.step(i),
            _ => None,
        }
    }

    pub fn status(&self) -> Status {
        match (self.position, self.step()) {
            (Position::Completed, _) => Status::Completed,
            (Position::Rejected, _) => Status::Rejected,
            (Position::Withdrawn, _) => Status::Withdrawn,
            (_, Some(Step::Fill)) if self.returned => Status::Returned,
            (_, Some(Step::Fill)) | (_, None) => Status::Draft,
            (_, Some(Step::Pay)) => Status::AwaitingPayment,
            (_, Some(Step::Review(Stage::First, _))) => Status::AwaitingFirstReview,
            (_, Some(Step::Review(Stage::Final, _))) => Status::AwaitingFinalReview,
            (_, Some(Step::Produce(_))) => Status::AwaitingProduction,
            (_, Some(Step::Deliver)) => match (self.delivery, self.shipped) {
                (Delivery::Mail, false) => Status::AwaitingShipment,
                (Delivery::Mail, true) => Status::Shipped,
                _ => Status::AwaitingPickup,
            },
        }
    }

    /// Whether the applicant may change the form (修改保存) now.
    pub fn is_editable(&self) -> bool {
        self.step() == Some(Step::Fill)
    }

    /// Whether the applicant may still withdraw: never after payment
    /// (一旦申请，不能退办), never once finished or in production.
    pub fn can_withdraw(&self) -> bool {
        !self.paid && matches!(self.step(), Some(Step::Fill | Step::Pay | Step::Review(..)))
    }

    fn illegal(&self, transition: Transition) -> IllegalTransition {
        IllegalTransition {
            transition,
            status: self.status(),
        }
    }

    /// Moves past `index` to the next step that has something to do: a payment is
    /// skipped when nothing is due or it was already paid; delivery is skipped when
    /// the certificate is downloaded.
    fn advance_from(mut self, index: usize) -> Flow {
        let mut next = index + 1;
        loop {
            match self.procedure.step(next) {
                None => {
                    self.position = Position::Completed;
                    return self;
                }
                Some(Step::Pay) if self.paid || self.amount.0 <= 0 => next += 1,
                Some(Step::Deliver) if self.delivery == Delivery::Download => next += 1,
                Some(_) => {
                    self.position = Position::At(next);
                    return self;
                }
            }
        }
    }

    fn at(
        &self,
        transition: Transition,
        want: impl Fn(Step) -> bool,
    ) -> Result<usize, IllegalTransition> {
        match (self.position, self.step()) {
            (Position::At(i), Some(step)) if want(step) => Ok(i),
            _ => Err(self.illegal(transition)),
        }
    }

    /// 提交: ends the fill step with the amount due and the delivery chosen.
    pub fn submit(&self, amount: Fen, delivery: Delivery) -> Result<Flow, IllegalTransition> {
        let i = self.at(Transition::Submitted, |s| s == Step::Fill)?;
        let mut next = self.clone();
        next.amount = amount;
        next.delivery = delivery;
        next.returned = false;
        Ok(next.advance_from(i))
    }

    /// A payment of the whole amount due arrived.
    pub fn pay(&self) -> Result<Flow, IllegalTransition> {
        let i = self.at(Transition::Paid, |s| s == Step::Pay)?;
        let mut next = self.clone();
        next.paid = true;
        Ok(next.advance_from(i))
    }

    /// 通过 at the given stage. `amount` replaces the amount due when the review sets
    /// it (补办: the overdue fee); it may only change before payment.
    pub fn approve(&self, stage: Stage, amount: Option<Fen>) -> Result<Flow, IllegalTransition> {
        let i = self.at(
            Transition::Approved,
            |s| matches!(s, Step::Review(st, _) if st == stage),
        )?;
        let mut next = self.clone();
        if let Some(amount) = amount {
            if self.paid && amount != self.amount {
                return Err(self.illegal(Transition::Approved));
            }
            next.amount = amount;
        }
        Ok(next.advance_from(i))
    }

    /// 退回: back to the applicant to fix. What was paid stays paid.
    pub fn return_to_applicant(&self, stage: Stage) -> Result<Flow, IllegalTransition> {
        self.at(
            Transition::Returned,
            |s| matches!(s, Step::Review(st, _) if st == stage),
        )?;
        let mut next = self.clone();
        next.position = Position::At(0);
        next.returned = true;
        Ok(next)
    }

    /// 拒绝: final. The caller refunds when [`Flow::paid`] was true.
    pub fn reject(&self, stage: Stage) -> Result<Flow, IllegalTransition> {
        self.at(
            Transition::Rejected,
            |s| matches!(s, Step::Review(st, _) if st == stage),
        )?;
        let mut next = self.clone();
        next.position = Position::Rejected;
        Ok(next)
    }

    /// 撤回 by the applicant, only before payment.
    pub fn withdraw(&self) -> Result<Flow, IllegalTransition> {
        if !self.can_withdraw() {
            return Err(self.illegal(Transition::Withdrawn));
        }
        let mut next = self.clone();
        next.position = Position::Withdrawn;
        Ok(next)
    }

    /// The certificate was issued, re-issued or revoked as the kind dictates.
    pub fn produced(&self) -> Result<Flow, IllegalTransition> {
        let i = self.at(Transition::Produced, |s| matches!(s, Step::Produce(_)))?;
        Ok(self.clone().advance_from(i))
    }

    /// The parcel left (邮寄 only).
    pub fn shipped_out(&self) -> Result<Flow, IllegalTransition> {
        self.at(Transition::Shipped, |s| s == Step::Deliver)?;
        if self.delivery != Delivery::Mail || self.shipped {
            return Err(self.illegal(Transition::Shipped));
        }
        let mut next = self.clone();
        next.shipped = true;
        Ok(next)
    }

    /// The key reached the applicant: handed over at the service point, or the
    /// parcel arrived.
    pub fn delivered(&self) -> Result<Flow, IllegalTransition> {
        let i = self.at(Transition::Delivered, |s| s == Step::Deliver)?;
        if self.delivery == Delivery::Mail && !self.shipped {
            return Err(self.illegal(Transition::Delivered));
        }
        Ok(self.clone().advance_from(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::kind::{Channel, Kind};

    /// Every transition, applied to a flow; `Ok` when allowed.
    fn attempts(f: &Flow) -> Vec<(&'static str, Result<Flow, IllegalTransition>)> {
        vec![
            ("submit", f.submit(Fen(100), f.delivery())),
            ("pay", f.pay()),
            ("approve first", f.approve(Stage::First, None)),
            ("approve final", f.approve(Stage::Final, None)),
            ("return first", f.return_to_applicant(Stage::First)),
            ("return final", f.return_to_applicant(Stage::Final)),
            ("reject first", f.reject(Stage::First)),
            ("reject final", f.reject(Stage::Final)),
            ("withdraw", f.withdraw()),
            ("produced", f.produced()),
            ("shipped", f.shipped_out()),
            ("delivered", f.delivered()),
        ]
    }

    /// What each position allows, written independently of the implementation.
    fn allowed(f: &Flow) -> Vec<&'static str> {
        let mut ok = match f.step() {
            None => vec![],
            Some(Step::Fill) => vec!["submit"],
            Some(Step::Pay) => vec!["pay"],
            Some(Step::Review(Stage::First, _)) => {
                vec!["approve first", "return first", "reject first"]
            }
            Some(Step::Review(Stage::Final, _)) => {
                vec!["approve final", "return final", "reject final"]
            }
            Some(Step::Produce(_)) => vec!["produced"],
            Some(Step::Deliver) if f.delivery() == Delivery::Mail && !f.shipped() => {
                vec!["shipped"]
            }
            Some(Step::Deliver) => vec!["delivered"],
        };
        if !f.paid() && matches!(f.step(), Some(Step::Fill | Step::Pay | Step::Review(..))) {
            ok.push("withdraw");
        }
        ok
    }

    /// Walks a flow to its end by always taking the forward transition, returning every
    /// flow passed through.
    fn walk(mut f: Flow, amount: Fen) -> Vec<Flow> {
        let mut seen = vec![f.clone()];
        for _ in 0..20 {
            let next = match f.step() {
                None => return seen,
                Some(Step::Fill) => f.submit(amount, f.delivery()),
                Some(Step::Pay) => f.pay(),
                Some(Step::Review(stage, _)) => f.approve(stage, None),
                Some(Step::Produce(_)) => f.produced(),
                Some(Step::Deliver) if f.delivery() == Delivery::Mail && !f.shipped() => {
                    f.shipped_out()
                }
                Some(Step::Deliver) => f.delivered(),
            };
            f = next.expect("the forward transition is allowed");
            seen.push(f.clone());
        }
        panic!("the procedure did not end: {f:?}");
    }

    fn every_default() -> Vec<(Kind, Channel, Delivery, Fen)> {
        let mut all = vec![];
        for kind in Kind::ALL {
            for channel in Channel::ALL {
                for delivery in channel.deliveries() {
                    for amount in [Fen(0), Fen(30_000)] {
                        all.push((*kind, *channel, *delivery, amount));
                    }
                }
            }
        }
        all
    }

    #[test]
    fn every_default_procedure_walks_to_completion() {
        for (kind, channel, delivery, amount) in every_default() {
            let procedure = Procedure::default_for(kind, channel);
            let seen = walk(Flow::new(procedure.clone(), delivery), amount);
            let last = seen.last().expect("at least the start");
            assert_eq!(
                last.status(),
                Status::Completed,
                "{kind} {channel} {delivery}"
            );
            let has_pay = procedure.steps().contains(&Step::Pay);
            assert_eq!(
                last.paid(),
                has_pay && amount.0 > 0,
                "{kind} {channel} {amount:?}"
            );
            let statuses: Vec<Status> = seen.iter().map(Flow::status).collect();
            assert_eq!(statuses[0], Status::Draft);
            assert_eq!(
                statuses.contains(&Status::AwaitingPayment),
                has_pay && amount.0 > 0,
                "{kind} {channel}: {statuses:?}"
            );
            assert!(statuses.contains(&Status::AwaitingFirstReview));
            assert!(statuses.contains(&Status::AwaitingProduction));
            // Production never comes before payment and approval.
            let produce = statuses
                .iter()
                .position(|s| *s == Status::AwaitingProduction)
                .expect("produce");
            assert!(seen[produce].paid() || amount.0 == 0 || !has_pay);
            if has_deliver(&seen[0]) && delivery == Delivery::Mail {
                assert!(statuses.contains(&Status::Shipped), "{kind} {channel}");
            }
        }
    }

    fn has_deliver(f: &Flow) -> bool {
        f.procedure().steps().contains(&Step::Deliver)
    }

    #[test]
    fn new_online_goes_through_both_reviews_in_order() {
        let p = Procedure::default_for(Kind::New, Channel::Online);
        let statuses: Vec<Status> = walk(Flow::new(p, Delivery::Mail), Fen(30_000))
            .iter()
            .map(Flow::status)
            .collect();
        assert_eq!(
            statuses,
            [
                Status::Draft,
                Status::AwaitingPayment,
                Status::AwaitingFirstReview,
                Status::AwaitingFinalReview,
                Status::AwaitingProduction,
                Status::AwaitingShipment,
                Status::Shipped,
                Status::Completed,
            ]
        );
    }

    #[test]
    fn every_transition_is_allowed_exactly_where_the_procedure_says() {
        for (kind, channel, delivery, amount) in every_default() {
            let procedure = Procedure::default_for(kind, channel);
            let mut flows = walk(Flow::new(procedure, delivery), amount);
            // Also the side roads: returned, rejected, withdrawn.
            let extra: Vec<Flow> = flows
                .iter()
                .flat_map(|f| {
                    [
                        f.return_to_applicant(Stage::First),
                        f.reject(Stage::First),
                        f.withdraw(),
                    ]
                })
                .filter_map(Result::ok)
                .collect();
            flows.extend(extra);
            for f in &flows {
                let want = allowed(f);
                for (name, result) in attempts(f) {
                    assert_eq!(
                        result.is_ok(),
                        want.contains(&name),
                        "{kind} {channel} {delivery} at {:?}: {name} gave {result:?}",
                        f.status()
                    );
                    if let Err(e) = result {
                        assert_eq!(e.status, f.status());
                    }
                }
            }
        }
    }

    #[test]
    fn a_return_keeps_the_payment_and_resubmission_skips_paying_again() {
        let p = Procedure::default_for(Kind::New, Channel::Online);
        let f = Flow::new(p, Delivery::Pickup)
            .submit(Fen(30_000), Delivery::Pickup)
            .and_then(|f| f.pay())
            .unwrap();
        assert_eq!(f.status(), Status::AwaitingFirstReview);
        let back = f.return_to_applicant(Stage::First).unwrap();
        assert_eq!(back.status(), Status::Returned);
        assert!(back.paid());
        assert!(back.is_editable());
        assert!(!back.can_withdraw(), "paid: 一旦申请，不能退办");
        assert_eq!(
            back.withdraw().unwrap_err().key(),
            "transition.withdraw_after_payment"
        );
        let again = back.submit(Fen(30_000), Delivery::Pickup).unwrap();
        assert_eq!(again.status(), Status::AwaitingFirstReview);
        assert!(!again.returned());
    }

    #[test]
    fn replace_is_priced_by_its_review() {
        let p = Procedure::default_for(Kind::Replace, Channel::Online);
        let f = Flow::new(p, Delivery::Mail)
            .submit(Fen(20_000), Delivery::Mail)
            .unwrap();
        assert_eq!(f.status(), Status::AwaitingFirstReview);
        let priced = f.approve(Stage::First, Some(Fen(25_000))).unwrap();
        assert_eq!(priced.amount(), Fen(25_000));
        assert_eq!(priced.status(), Status::AwaitingPayment);
        // Not overdue and nothing else due: the review sets 0 and payment is skipped.
        let free = f.approve(Stage::First, Some(Fen(0))).unwrap();
        assert_eq!(free.status(), Status::AwaitingProduction);
    }

    #[test]
    fn a_paid_amount_cannot_be_changed_by_a_later_review() {
        let p = Procedure::default_for(Kind::New, Channel::Online);
        let f = Flow::new(p, Delivery::Mail)
            .submit(Fen(30_000), Delivery::Mail)
            .and_then(|f| f.pay())
            .unwrap();
        assert!(f.approve(Stage::First, Some(Fen(1))).is_err());
        assert!(f.approve(Stage::First, Some(Fen(30_000))).is_ok());
    }

    #[test]
    fn restore_refuses_a_position_outside_the_procedure() {
        let p = Procedure::default_for(Kind::Cancel, Channel::Online);
        let n = p.steps().len();
        assert!(
            Flow::restore(
                p.clone(),
                Position::At(n),
                Fen(0),
                Delivery::Pickup,
                false,
                false,
                false
            )
            .is_none()
        );
        assert!(
            Flow::restore(
                p,
                Position::At(n - 1),
                Fen(0),
                Delivery::Pickup,
                false,
                false,
                false
            )
            .is_some()
        );
    }
}
