//! 开票信息 as typed, checked field by field. Nothing is trimmed or rewritten: what the
//! tax office would refuse (spaces, '-', other symbols: seed 002 "开票信息中不允许出现任何特殊字符，
//! 如空格、-等") is refused here with a message next to the field.

use domain::ident::{Email, Phone, TaxId};
use domain::ids::ServicePointId;
use serde::{Deserialize, Serialize};
use store::invoices::{Collection, InvoiceFields, InvoiceKind};

use crate::FieldErrors;

/// 开票信息 as typed. Every field is text, so a refused form comes back exactly as it was.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(default)]
pub struct InvoiceInput {
    /// 发票类型: `e_normal` 电子普通发票, `e_special` 电子专用发票 (数电), `paper_special` 纸质专票.
    pub invoice_type: String,
    /// 开票单位名称 (发票抬头).
    pub buyer_name: String,
    /// 税号 (纳税人识别号): letters and digits only.
    pub tax_id: String,
    /// 单位地址 (专票).
    pub buyer_address: String,
    /// 单位电话 (专票): digits only.
    pub buyer_phone: String,
    /// 开户银行 (专票).
    pub bank_name: String,
    /// 银行账号 (专票): digits only.
    pub bank_account: String,
    /// 接收手机 (发票申请成功后通知接收手机); this or `notify_email` is required.
    pub notify_mobile: String,
    /// 接收邮箱.
    pub notify_email: String,
    /// Paper only: `mail` 邮寄 or `pickup` 现场领取.
    pub collection: String,
    /// Paper, 现场领取: the id of an active 办理点.
    pub service_point: String,
    /// Paper, 邮寄: 收件人, 联系电话, 邮寄地址.
    pub mail_recipient: String,
    pub mail_phone: String,
    pub mail_address: String,
    /// The `version` of the invoice as last read, when changing one; a stale one is refused.
    pub version: Option<i64>,
}

impl InvoiceInput {
    /// The form showing stored details (to change them, or to prefill the next request).
    pub fn from_fields(f: &InvoiceFields) -> InvoiceInput {
        InvoiceInput {
            invoice_type: f.kind.as_str().to_owned(),
            buyer_name: f.buyer_name.clone(),
            tax_id: f.tax_id.clone(),
            buyer_address: f.buyer_address.clone(),
            buyer_phone: f.buyer_phone.clone(),
            bank_name: f.bank_name.clone(),
            bank_account: f.bank_account.clone(),
            notify_mobile: f.notify_mobile.clone(),
            notify_email: f.notify_email.clone(),
            collection: f
                .collection
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            service_point: f
                .service_point_id
                .map(ServicePointId::to_text)
                .unwrap_or_default(),
            mail_recipient: f.mail_recipient.clone(),
            mail_phone: f.mail_phone.clone(),
            mail_address: f.mail_address.clone(),
            version: None,
        }
    }
}

/// Text on an invoice: letters (Chinese or Latin), digits, parentheses (full- or half-width,
/// as in registered names) and the middle dot of transliterated names. Nothing else.
fn plain_text_char(c: char) -> bool {
    c.is_alphanumeric() || "()（）·".contains(c)
}

fn text(e: &mut FieldErrors, field: &'static str, value: &str, required: bool, max: usize) {
    if value.is_empty() {
        if required {
            e.add(field, required_key(field));
        }
        return;
    }
    if !value.chars().all(plain_text_char) {
        e.add(field, "invoice.special_chars");
    } else if value.chars().count() > max {
        e.add(field, "invoice.too_long");
    }
}

fn digits(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    required: bool,
    len: std::ops::RangeInclusive<usize>,
    invalid: &'static str,
) {
    if value.is_empty() {
        if required {
            e.add(field, required_key(field));
        }
        return;
    }
    if !value.chars().all(plain_text_char) {
        e.add(field, "invoice.special_chars");
    } else if !value.bytes().all(|b| b.is_ascii_digit()) || !len.contains(&value.len()) {
        e.add(field, invalid);
    }
}

fn required_key(field: &str) -> &'static str {
    match field {
        "invoice_type" => "invoice.type_required",
        "buyer_name" => "invoice.buyer_name_required",
        "tax_id" => "invoice.tax_id_required",
        "buyer_address" => "invoice.buyer_address_required",
        "buyer_phone" => "invoice.buyer_phone_required",
        "bank_name" => "invoice.bank_name_required",
        "bank_account" => "invoice.bank_account_required",
        "collection" => "invoice.collection_required",
        "service_point" => "invoice.service_point_required",
        "mail_recipient" => "invoice.mail_recipient_required",
        "mail_phone" => "invoice.mail_phone_required",
        "mail_address" => "invoice.mail_address_required",
        _ => "invoice.required",
    }
}

/// A mobile number or e-mail address as typed: no space anywhere (the parsers would trim it).
fn untrimmed<T, E: domain::Reason>(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> bool {
    if value.chars().any(char::is_whitespace) {
        e.add(field, "invoice.special_chars");
        return false;
    }
    e.check(field, parse(value)).is_some()
}

/// Checks the form. `individual`: the order is an individual's (no organisation), whose
/// 电子普通发票 may carry a personal 抬头 without a 税号. `service_points`: the active
/// 办理点 ids. Returns the fields to store, or every problem at once.
pub fn check(
    input: &InvoiceInput,
    individual: bool,
    service_points: &[ServicePointId],
) -> Result<InvoiceFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let kind = if input.invoice_type.is_empty() {
        e.add("invoice_type", "invoice.type_required");
        None
    } else {
        let k = InvoiceKind::parse(&input.invoice_type);
        if k.is_none() {
            e.add("invoice_type", "invoice.type_unknown");
        }
        k
    };
    let special = kind.is_some_and(InvoiceKind::is_special);
    let paper = kind.is_some_and(InvoiceKind::is_paper);

    text(&mut e, "buyer_name", &input.buyer_name, true, 100);
    let tax_optional = individual && kind == Some(InvoiceKind::ElectronicNormal);
    if input.tax_id.is_empty() {
        if !tax_optional {
            e.add("tax_id", "invoice.tax_id_required");
        }
    } else if input.tax_id.chars().any(|c| !c.is_ascii_alphanumeric()) {
        e.add("tax_id", "tax_id.invalid_char");
    } else if input.tax_id.chars().any(|c| c.is_ascii_lowercase()) {
        e.add("tax_id", "invoice.tax_id_lowercase");
    } else {
        e.check("tax_id", TaxId::parse(&input.tax_id));
    }
    text(&mut e, "buyer_address", &input.buyer_address, special, 100);
    digits(
        &mut e,
        "buyer_phone",
        &input.buyer_phone,
        special,
        7..=20,
        "invoice.buyer_phone_invalid",
    );
    text(&mut e, "bank_name", &input.bank_name, special, 100);
    digits(
        &mut e,
        "bank_account",
        &input.bank_account,
        special,
        6..=32,
        "invoice.bank_account_invalid",
    );

    if input.notify_mobile.is_empty() && input.notify_email.is_empty() {
        e.add("notify_mobile", "invoice.notify_required");
    }
    if !input.notify_mobile.is_empty() {
        untrimmed(&mut e, "notify_mobile", &input.notify_mobile, Phone::parse);
    }
    if !input.notify_email.is_empty() {
        untrimmed(&mut e, "notify_email", &input.notify_email, Email::parse);
    }

    let mut collection = None;
    let mut service_point_id = None;
    if paper {
        collection = match input.collection.as_str() {
            "" => {
                e.add("collection", "invoice.collection_required");
                None
            }
            c => {
                let parsed = Collection::parse(c);
                if parsed.is_none() {
                    e.add("collection", "invoice.collection_unknown");
                }
                parsed
            }
        };
        match collection {
            Some(Collection::Pickup) => {
                if input.service_point.is_empty() {
                    e.add("service_point", "invoice.service_point_required");
                } else {
                    match ServicePointId::parse(&input.service_point) {
                        Ok(id) if service_points.contains(&id) => service_point_id = Some(id),
                        _ => e.add("service_point", "invoice.service_point_unknown"),
                    }
                }
            }
            Some(Collection::Mail) => {
                if input.mail_recipient.is_empty() {
                    e.add("mail_recipient", "invoice.mail_recipient_required");
                } else if input.mail_recipient.chars().count() > 50
                    || input.mail_recipient.chars().any(char::is_control)
                    || input.mail_recipient.trim() != input.mail_recipient
                {
                    e.add("mail_recipient", "invoice.mail_text_invalid");
                }
                if input.mail_phone.is_empty() {
                    e.add("mail_phone", "invoice.mail_phone_required");
                } else {
                    untrimmed(&mut e, "mail_phone", &input.mail_phone, Phone::parse);
                }
                if input.mail_address.is_empty() {
                    e.add("mail_address", "invoice.mail_address_required");
                } else if input.mail_address.chars().count() > 200
                    || input.mail_address.chars().any(char::is_control)
                    || input.mail_address.trim() != input.mail_address
                {
                    e.add("mail_address", "invoice.mail_text_invalid");
                }
            }
            None => {}
        }
    }
    let Some(kind) = kind.filter(|_| e.is_empty()) else {
        return Err(e);
    };
    let mailed = collection == Some(Collection::Mail);
    let kept = |s: &str, keep: bool| if keep { s.to_owned() } else { String::new() };
    Ok(InvoiceFields {
        kind,
        buyer_name: input.buyer_name.clone(),
        tax_id: input.tax_id.clone(),
        buyer_address: input.buyer_address.clone(),
        buyer_phone: input.buyer_phone.clone(),
        bank_name: input.bank_name.clone(),
        bank_account: input.bank_account.clone(),
        notify_mobile: input.notify_mobile.clone(),
        notify_email: input.notify_email.clone(),
        collection,
        service_point_id,
        // Mailing details only for a paper invoice that is mailed.
        mail_recipient: kept(&input.mail_recipient, mailed),
        mail_phone: kept(&input.mail_phone, mailed),
        mail_address: kept(&input.mail_address, mailed),
    })
}

/// 发票号码 (and for paper 专票 its 发票代码) as finance types them: a 数电票 (电子普通发票,
/// 电子专用发票) has a 20-digit number and no code; a paper 增值税专用发票 has a 10-digit
/// 发票代码 and an 8-digit 发票号码.
pub fn check_number(kind: InvoiceKind, code: &str, number: &str, e: &mut FieldErrors) {
    let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if number.is_empty() {
        e.add("invoice_number", "invoice.number_required");
    } else if kind.is_paper() {
        if !all_digits(number, 8) {
            e.add("invoice_number", "invoice.number_paper");
        }
    } else if !all_digits(number, 20) {
        e.add("invoice_number", "invoice.number_digital");
    }
    if kind.is_paper() {
        if code.is_empty() {
            e.add("invoice_code", "invoice.code_required");
        } else if !all_digits(code, 10) {
            e.add("invoice_code", "invoice.code_invalid");
        }
    } else if !code.is_empty() {
        e.add("invoice_code", "invoice.code_not_digital");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special() -> InvoiceInput {
        InvoiceInput {
            invoice_type: "e_special".into(),
            buyer_name: "济南某某科技有限公司".into(),
            tax_id: "913700007535433330".into(),
            buyer_address: "济南市汉峪金谷".into(),
            buyer_phone: "053188888888".into(),
            bank_name: "中国银行济南分行".into(),
            bank_account: "12345678".into(),
            notify_mobile: "18769628833".into(),
            ..InvoiceInput::default()
        }
    }

    fn keys(input: &InvoiceInput) -> Vec<(&'static str, &'static str)> {
        match check(input, false, &[]) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(|f| (f.field, f.key)).collect(),
        }
    }

    #[test]
    fn a_complete_special_invoice_passes_as_typed() {
        let f = check(&special(), false, &[]).unwrap();
        assert_eq!(f.kind, InvoiceKind::ElectronicSpecial);
        assert_eq!(f.tax_id, "913700007535433330");
    }

    #[test]
    fn spaces_and_hyphens_are_refused_not_dropped() {
        let mut i = special();
        i.buyer_name = "济南某某 科技有限公司".into();
        i.buyer_phone = "0531-88888888".into();
        i.tax_id = " 913700007535433330".into();
        i.notify_mobile = "18769628833 ".into();
        let k = keys(&i);
        assert!(k.contains(&("buyer_name", "invoice.special_chars")));
        assert!(k.contains(&("buyer_phone", "invoice.special_chars")));
        assert!(k.contains(&("tax_id", "tax_id.invalid_char")));
        assert!(k.contains(&("notify_mobile", "invoice.special_chars")));
    }

    #[test]
    fn a_special_invoice_needs_address_phone_bank_and_account() {
        let mut i = special();
        i.buyer_address.clear();
        i.buyer_phone.clear();
        i.bank_name.clear();
        i.bank_account.clear();
        assert_eq!(keys(&i).len(), 4);
        i.invoice_type = "e_normal".into();
        assert!(keys(&i).is_empty());
    }

    #[test]
    fn one_way_to_notify_is_required() {
        let mut i = special();
        i.notify_mobile.clear();
        assert_eq!(keys(&i), vec![("notify_mobile", "invoice.notify_required")]);
        i.notify_email = "finance@example.com".into();
        assert!(keys(&i).is_empty());
    }

    #[test]
    fn tax_ids_follow_the_identifier_rules() {
        let mut i = special();
        i.tax_id = "913700007535433331".into();
        assert_eq!(keys(&i), vec![("tax_id", "tax_id.check_digit")]);
        i.tax_id = "91370000753543333".into();
        assert!(keys(&i).is_empty(), "17 characters is an old form");
        i.tax_id = "9137000075354333x".into();
        assert_eq!(keys(&i), vec![("tax_id", "invoice.tax_id_lowercase")]);
        i.tax_id.clear();
        assert_eq!(keys(&i), vec![("tax_id", "invoice.tax_id_required")]);
        i.invoice_type = "e_normal".into();
        assert!(
            check(&i, true, &[]).is_ok(),
            "an individual's 普票 needs no 税号"
        );
    }

    #[test]
    fn paper_is_picked_up_at_an_active_point_or_mailed_with_an_address() {
        let point = ServicePointId::new();
        let mut i = special();
        i.invoice_type = "paper_special".into();
        assert_eq!(
            keys(&i),
            vec![("collection", "invoice.collection_required")]
        );
        i.collection = "pickup".into();
        i.service_point = ServicePointId::new().to_text();
        assert!(check(&i, false, &[point]).is_err());
        i.service_point = point.to_text();
        let f = check(&i, false, &[point]).unwrap();
        assert_eq!(f.service_point_id, Some(point));
        i.collection = "mail".into();
        assert_eq!(keys(&i).len(), 3);
        i.mail_recipient = "张六".into();
        i.mail_phone = "18769628833".into();
        i.mail_address = "济南市汉峪金谷A4-5号楼".into();
        let f = check(&i, false, &[]).unwrap();
        assert_eq!(f.service_point_id, None);
        assert_eq!(f.mail_address, "济南市汉峪金谷A4-5号楼");
    }

    #[test]
    fn numbers_are_20_digits_for_digital_invoices_and_code_plus_8_for_paper() {
        let check = |kind, code: &str, number: &str| {
            let mut e = FieldErrors::new();
            check_number(kind, code, number, &mut e);
            e.iter().map(|f| f.key).collect::<Vec<_>>()
        };
        let digital = "25372000000012345678";
        assert!(check(InvoiceKind::ElectronicNormal, "", digital).is_empty());
        assert!(check(InvoiceKind::ElectronicSpecial, "", digital).is_empty());
        assert_eq!(
            check(InvoiceKind::ElectronicSpecial, "", "12345678"),
            vec!["invoice.number_digital"]
        );
        assert_eq!(
            check(InvoiceKind::ElectronicNormal, "3700231130", digital),
            vec!["invoice.code_not_digital"]
        );
        assert!(check(InvoiceKind::PaperSpecial, "3700231130", "01234567").is_empty());
        assert_eq!(
            check(InvoiceKind::PaperSpecial, "", digital),
            vec!["invoice.number_paper", "invoice.code_required"]
        );
    }
}
