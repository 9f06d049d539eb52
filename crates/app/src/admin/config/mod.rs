//! The admin's configuration desk (系统管理员): fee schedule, procedures, required
//! documents, service points, linked platforms, holidays and two settings.
//!
//! Every function asks for [`Action::Configure`] first, parses its input (strings, as
//! typed) into field errors with catalogue keys, writes in one transaction and leaves an
//! audit entry. Views show the value in force and whether an admin configured it or it
//! is the shipped default (`app::config`).

mod documents;
mod fees;
mod holidays;
mod platforms;
mod procedures;
mod service_points;
mod settings;

pub use documents::{
    DocumentNeedInput, DocumentNeedView, DocumentSetView, Need, SetDocumentsInput, document_set,
    document_sets, reset_documents, set_documents,
};
pub use fees::{FeeKeyInput, FeeRow, SetPriceInput, fees, reset_price, set_price};
pub use holidays::{DayInput, DayMark, DayRow, HolidaysView, delete_day, holidays, set_day};
pub use platforms::{
    PlatformInput, PlatformView, create_platform, platform, platforms, update_platform,
};
pub use procedures::{
    ProcedureView, STEP_CODES, SetProcedureInput, procedure, procedures, reset_procedure,
    set_procedure,
};
pub use service_points::{
    ServicePointInput, ServicePointView, create_service_point, deactivate_service_point,
    service_point, service_points, update_service_point,
};
pub use settings::{SettingsInput, SettingsView, reset_setting, settings, update_settings};

use domain::application::{CertType, Channel, Kind};
use serde::Serialize;
use store::AnyConnection;

use crate::{Actor, Error, FieldErrors};

/// Where a value in force comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An admin set it.
    Configured,
    /// Nobody did: the shipped default holds.
    Default,
}

impl Source {
    pub fn of(configured: bool) -> Source {
        if configured {
            Source::Configured
        } else {
            Source::Default
        }
    }

    pub fn is_configured(self) -> bool {
        self == Source::Configured
    }
}

/// Whether a kind is offered for a certificate type: 年检 is for e-seals only.
pub fn offered(kind: Kind, cert_type: CertType) -> bool {
    kind != Kind::Inspect || cert_type == CertType::Seal
}

fn kind(errors: &mut FieldErrors, text: &str) -> Option<Kind> {
    let parsed = Kind::parse(text).ok();
    if parsed.is_none() {
        errors.add("kind", "config.error.kind");
    }
    parsed
}

fn cert_type(errors: &mut FieldErrors, text: &str) -> Option<CertType> {
    let parsed = CertType::parse(text).ok();
    if parsed.is_none() {
        errors.add("cert_type", "config.error.cert_type");
    }
    parsed
}

fn channel(errors: &mut FieldErrors, text: &str) -> Option<Channel> {
    let parsed = Channel::parse(text).ok();
    if parsed.is_none() {
        errors.add("channel", "config.error.channel");
    }
    parsed
}

/// A kind and certificate type that go together, or field errors.
fn kind_and_type(
    errors: &mut FieldErrors,
    kind_text: &str,
    type_text: &str,
) -> Option<(Kind, CertType)> {
    let (k, t) = (kind(errors, kind_text), cert_type(errors, type_text));
    let (k, t) = (k?, t?);
    if !offered(k, t) {
        errors.add("cert_type", "config.error.inspect_seal_only");
        return None;
    }
    Some((k, t))
}

/// Every field parsed, or the errors; `Internal` if a parse returned nothing without saying why.
fn parsed<T>(errors: FieldErrors, value: Option<T>) -> Result<T, Error> {
    errors.into_result()?;
    value.ok_or_else(|| Error::Internal("parsed fields missing without errors".into()))
}

/// One audit entry for a configuration change.
async fn audit(
    conn: &mut AnyConnection,
    app: &crate::App,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), Error> {
    store::audit::append(conn, app.now(), actor.audit_id(), action, subject, detail).await?;
    tracing::info!(action, subject, "configuration changed");
    Ok(())
}
