//! The application form as typed, and its parsing at submission.

use domain::Reason;
use domain::application::production::ReplaceCause;
use domain::application::{
    CertSerial, Channel, Delivery, Kind, MAX_QUANTITY, MAX_YEARS, Procedure, Step,
};
use domain::ident::{Email, IdNumber, Phone};
use domain::ids::ServicePointId;
use domain::text::{Line, PersonName};
use serde::{Deserialize, Serialize};
use store::config::ServicePoint;

use crate::FieldErrors;

/// Everything the applicant types, kept as typed: a draft may be incomplete or wrong
/// and is still saved (修改保存); it is parsed when submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(default)]
pub struct ApplicationInput {
    /// 经办人
    pub handler_name: String,
    /// 经办人身份证号码
    pub handler_id_number: String,
    /// 联系电话 (mobile)
    pub handler_mobile: String,
    /// 联系邮箱
    pub handler_email: String,
    /// 本次申领数量
    pub quantity: String,
    /// 年限 (新办 / 延期)
    pub years: String,
    /// mail | pickup | download
    pub delivery: String,
    /// 邮寄地址
    pub mail_address: String,
    /// 收件人姓名
    pub mail_recipient: String,
    /// 收件人联系电话
    pub mail_phone: String,
    /// 办理点 (id) for pickup
    pub service_point: String,
    /// The certificate concerned (延期 / 补办 / 信息变更 / 年检 / 注销), by serial.
    pub certificate_serial: String,
    /// 补办原因
    pub replace_reason: String,
    /// 补办: lost | damaged (遗失 / 损坏): a lost key's certificate is revoked as
    /// keyCompromise, a damaged one's as superseded.
    pub replace_cause: String,
    /// 补办: "yes" when a new USB key is needed.
    pub new_key: String,
    /// 信息变更: the new data.
    pub change_details: String,
}

/// A submitted form, every field parsed.
#[derive(Clone, Debug)]
pub struct ParsedForm {
    pub quantity: u32,
    pub years: u32,
    pub delivery: Delivery,
}

/// Lenient reading of a draft: what the listing columns need, falling back to
/// sensible values while the form is incomplete.
pub fn draft_columns(
    kind: Kind,
    procedure: &Procedure,
    channel: Channel,
    input: &ApplicationInput,
) -> (u32, u32, Delivery, Option<ServicePointId>) {
    let quantity = parse_count(&input.quantity, MAX_QUANTITY).unwrap_or(1);
    let years = if kind.has_years() {
        parse_count(&input.years, MAX_YEARS).unwrap_or(1)
    } else {
        1
    };
    let delivery = delivery_of(procedure, channel, &input.delivery)
        .unwrap_or(default_delivery(procedure, channel));
    let point = ServicePointId::parse(input.service_point.trim()).ok();
    (
        quantity.max(1),
        years.max(1),
        delivery,
        point.filter(|_| delivery == Delivery::Pickup),
    )
}

fn parse_count(s: &str, max: u32) -> Option<u32> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

/// Procedures without a deliver step (the applicant produces online, or 注销) deliver nothing.
fn default_delivery(procedure: &Procedure, channel: Channel) -> Delivery {
    if !procedure.steps().contains(&Step::Deliver) {
        Delivery::Download
    } else if channel == Channel::OnSite {
        Delivery::Pickup
    } else {
        Delivery::Mail
    }
}

fn delivery_of(procedure: &Procedure, channel: Channel, s: &str) -> Option<Delivery> {
    if !procedure.steps().contains(&Step::Deliver) {
        return Some(Delivery::Download);
    }
    Delivery::parse(s)
        .ok()
        .filter(|d| channel.deliveries().contains(d))
}

/// Whether the applicant chooses how the key reaches them.
pub fn chooses_delivery(procedure: &Procedure) -> bool {
    procedure.steps().contains(&Step::Deliver)
}

fn required<T, E: Reason>(
    errors: &mut FieldErrors,
    field: &'static str,
    s: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    if s.trim().is_empty() {
        errors.add(field, "field.required");
        return None;
    }
    errors.check(field, parse(s))
}

/// Parses a form for submission, collecting every problem at once.
pub fn parse(
    kind: Kind,
    channel: Channel,
    procedure: &Procedure,
    input: &ApplicationInput,
    service_points: &[ServicePoint],
) -> Result<ParsedForm, FieldErrors> {
    let mut e = FieldErrors::new();
    required(
        &mut e,
        "handler_name",
        &input.handler_name,
        PersonName::parse,
    );
    required(
        &mut e,
        "handler_id_number",
        &input.handler_id_number,
        IdNumber::parse,
    );
    required(
        &mut e,
        "handler_mobile",
        &input.handler_mobile,
        Phone::parse,
    );
    required(&mut e, "handler_email", &input.handler_email, Email::parse);

    let quantity = if kind == Kind::New {
        match parse_count(&input.quantity, MAX_QUANTITY) {
            Some(q) => q,
            None => {
                e.add(
                    "quantity",
                    if input.quantity.trim().is_empty() {
                        "field.required"
                    } else {
                        "fee.quantity"
                    },
                );
                1
            }
        }
    } else {
        1
    };
    let years = if kind.has_years() {
        match parse_count(&input.years, MAX_YEARS) {
            Some(y) => y,
            None => {
                e.add(
                    "years",
                    if input.years.trim().is_empty() {
                        "field.required"
                    } else {
                        "fee.years"
                    },
                );
                1
            }
        }
    } else {
        1
    };

    let delivery = match delivery_of(procedure, channel, &input.delivery) {
        Some(d) => d,
        None => {
            e.add("delivery", "delivery.unknown");
            default_delivery(procedure, channel)
        }
    };
    match delivery {
        Delivery::Mail => {
            required(
                &mut e,
                "mail_address",
                &input.mail_address,
                Line::<200>::parse,
            );
            required(
                &mut e,
                "mail_recipient",
                &input.mail_recipient,
                PersonName::parse,
            );
            required(&mut e, "mail_phone", &input.mail_phone, Phone::parse);
        }
        Delivery::Pickup => {
            let chosen = ServicePointId::parse(input.service_point.trim()).ok();
            match chosen.filter(|id| service_points.iter().any(|p| p.id == *id && p.active)) {
                Some(_) => {}
                None => e.add("service_point", "service_point.choose"),
            }
        }
        Delivery::Download => {}
    }

    if kind.concerns_existing_certificate() {
        required(
            &mut e,
            "certificate_serial",
            &input.certificate_serial,
            CertSerial::parse,
        );
    }
    if kind == Kind::Replace {
        required(
            &mut e,
            "replace_reason",
            &input.replace_reason,
            Line::<500>::parse,
        );
        required(
            &mut e,
            "replace_cause",
            &input.replace_cause,
            ReplaceCause::parse,
        );
    }
    if kind == Kind::Change {
        required(
            &mut e,
            "change_details",
            &input.change_details,
            Line::<1000>::parse,
        );
    }
    if e.is_empty() {
        Ok(ParsedForm {
            quantity,
            years,
            delivery,
        })
    } else {
        Err(e)
    }
}
