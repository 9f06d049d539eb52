//! [`FormData`] cleaned once, so that no template prints a raw user string by mistake.

use crate::FormData;
use crate::layout::{clean_line, clean_lines};

pub(crate) struct Fields {
    pub organisation_name: String,
    pub credit_code: String,
    pub organisation_address: String,
    pub legal_representative: String,
    pub handler_name: String,
    pub handler_id_number: String,
    pub handler_mobile: String,
    pub handler_email: String,
    pub order_number: String,
    pub kind_label: String,
    pub certificate_type_label: String,
    /// Empty for 0.
    pub quantity: String,
    /// "N年", empty for 0.
    pub years: String,
    /// Empty when there is none.
    pub certificate_serial: String,
    /// One entry per line typed; empty when there is none.
    pub replace_reason: Vec<String>,
    pub date: String,
}

impl Fields {
    pub(crate) fn new(d: &FormData) -> Fields {
        Fields {
            organisation_name: clean_line(&d.organisation_name),
            credit_code: clean_line(&d.credit_code),
            organisation_address: clean_line(&d.organisation_address),
            legal_representative: clean_line(&d.legal_representative),
            handler_name: clean_line(&d.handler_name),
            handler_id_number: clean_line(&d.handler_id_number),
            handler_mobile: clean_line(&d.handler_mobile),
            handler_email: clean_line(&d.handler_email),
            order_number: clean_line(&d.order_number),
            kind_label: clean_line(&d.kind_label),
            certificate_type_label: clean_line(&d.certificate_type_label),
            quantity: nonzero(d.quantity, ""),
            years: nonzero(d.years, "年"),
            certificate_serial: d
                .certificate_serial
                .as_deref()
                .map(clean_line)
                .unwrap_or_default(),
            replace_reason: d
                .replace_reason
                .as_deref()
                .map(clean_lines)
                .unwrap_or_default(),
            date: clean_line(&d.date),
        }
    }

    /// No organisation: an individual applying in person.
    pub(crate) fn is_individual(&self) -> bool {
        self.organisation_name.is_empty()
    }
}

fn nonzero(n: u32, unit: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("{n}{unit}")
    }
}
