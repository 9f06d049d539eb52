//! The prefilled Word forms an applicant downloads, prints, stamps (加盖公章), signs and uploads again as
//! 电子件: the 法人授权委托书, the CA证书申请表 and the 情况说明书 for a 补办.
//!
//! The crate knows nothing of the rest of certdesk: callers copy what they have into a [`FormData`] of
//! plain strings, pick a [`Template`] and get the bytes of a `.docx` back. Every value is printed as
//! typed (after dropping characters XML cannot carry); an empty value becomes an underlined blank to fill
//! in by hand, so a form with gaps is still a usable form.
#![forbid(unsafe_code)]

mod application_form;
mod fields;
mod layout;
mod power_of_attorney;
mod statement;

use std::fmt;
use std::io::Cursor;

/// The MIME type to serve a rendered document with.
pub const CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// What the forms are filled with. Everything is text as it should be printed (labels already in
/// Chinese); an empty string prints as a blank line to fill in by hand.
///
/// An applicant without an organisation (个人证书) leaves `organisation_name` empty: the forms then speak
/// of 本人 and ask for the applicant's signature instead of a seal, and the handler fields describe the
/// applicant.
///
/// `Debug` hides the ID number, mobile and e-mail so that a stray `?data` in a log line leaks nothing.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FormData {
    pub organisation_name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub organisation_address: String,
    /// 法定代表人.
    pub legal_representative: String,
    /// 经办人, or the applicant in person for an individual.
    pub handler_name: String,
    /// 公民身份号码, printed in full: it is the applicant's own form.
    pub handler_id_number: String,
    pub handler_mobile: String,
    pub handler_email: String,
    pub order_number: String,
    /// 业务类型 as printed, e.g. "新办", "补办".
    pub kind_label: String,
    /// 证书类型 as printed, e.g. "单位主锁".
    pub certificate_type_label: String,
    /// Number of certificates; 0 prints a blank.
    pub quantity: u32,
    /// Validity in years; 0 prints a blank (e.g. where the term follows the old certificate).
    pub years: u32,
    /// Serial of the certificate being replaced, when there is one.
    pub certificate_serial: Option<String>,
    /// Why the certificate must be replaced, as the applicant typed it; line breaks are kept.
    pub replace_reason: Option<String>,
    /// The date printed beside the signatures, e.g. "2026年11月21日"; empty prints "年 月 日" blanks.
    pub date: String,
}

impl fmt::Debug for FormData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HIDDEN: &str = "<hidden>";
        f.debug_struct("FormData")
            .field("organisation_name", &self.organisation_name)
            .field("credit_code", &self.credit_code)
            .field("organisation_address", &self.organisation_address)
            .field("legal_representative", &self.legal_representative)
            .field("handler_name", &self.handler_name)
            .field("handler_id_number", &HIDDEN)
            .field("handler_mobile", &HIDDEN)
            .field("handler_email", &HIDDEN)
            .field("order_number", &self.order_number)
            .field("kind_label", &self.kind_label)
            .field("certificate_type_label", &self.certificate_type_label)
            .field("quantity", &self.quantity)
            .field("years", &self.years)
            .field("certificate_serial", &self.certificate_serial)
            .field("replace_reason", &self.replace_reason)
            .field("date", &self.date)
            .finish()
    }
}

/// One of the forms an applicant can download.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Template {
    /// 法人授权委托书: the legal representative authorises the handler to apply on the organisation's
    /// behalf. Organisations only.
    PowerOfAttorney,
    /// CA证书申请表: who applies, who handles it, and which certificates.
    ApplicationForm,
    /// 情况说明书: why a certificate must be replaced (补办). Needs [`FormData::replace_reason`].
    Statement,
}

impl Template {
    pub const ALL: [Template; 3] = [
        Template::PowerOfAttorney,
        Template::ApplicationForm,
        Template::Statement,
    ];

    /// The name to offer the download under (non-ASCII: send it as `filename*=UTF-8''…`).
    pub fn file_name(&self) -> &'static str {
        match self {
            Template::PowerOfAttorney => "法人授权委托书.docx",
            Template::ApplicationForm => "CA证书申请表.docx",
            Template::Statement => "情况说明书.docx",
        }
    }

    /// The heading printed on the form, also fit for a link text.
    pub fn title(&self) -> &'static str {
        match self {
            Template::PowerOfAttorney => "法人授权委托书",
            Template::ApplicationForm => "CA证书申请表",
            Template::Statement => "情况说明书",
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaperworkError {
    /// The power of attorney is given by an organisation; an individual applies in person.
    #[error("a power of attorney needs an organisation name")]
    MissingOrganisation,
    /// A statement without its reason says nothing.
    #[error("a statement needs the reason the certificate must be replaced")]
    MissingReplaceReason,
    #[error("could not write the Word document")]
    Write(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Renders `template` filled with `data` into the bytes of a `.docx` file.
pub fn render(template: Template, data: &FormData) -> Result<Vec<u8>, PaperworkError> {
    let fields = fields::Fields::new(data);
    let docx = match template {
        Template::PowerOfAttorney => power_of_attorney::build(&fields)?,
        Template::ApplicationForm => application_form::build(&fields),
        Template::Statement => statement::build(&fields)?,
    };
    let mut out = Cursor::new(Vec::new());
    docx.pack(&mut out)
        .map_err(|e| PaperworkError::Write(Box::new(e)))?;
    Ok(out.into_inner())
}
