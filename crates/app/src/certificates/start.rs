//! 新增申请 started from a certificate (延期 / 补办 / 信息变更 / 注销 / 年检 on its page):
//! the draft keeps the certificate's serial in its form.

use domain::application::{CertType, Kind};

use super::view::visible;
use super::{Standing, listed, offers, owner_of};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// The serial to keep in a draft started from the certificate `serial` (empty: not
/// started from one). The actor must own the certificate (NotFound otherwise); what
/// does not fit it (a kind it does not offer, another certificate type) is added to
/// `errors` beside the field.
pub(crate) async fn starting_from(
    app: &App,
    actor: &Actor,
    kind: Option<Kind>,
    cert_type: Option<CertType>,
    serial: &str,
    errors: &mut FieldErrors,
) -> Result<String, Error> {
    if serial.trim().is_empty() {
        return Ok(String::new());
    }
    let mut conn = app.store.conn().await?;
    let c = listed(visible(&mut conn, actor, serial).await?);
    authorize(actor, Action::ManageCertificate(owner_of(&c)))?;
    let standing = Standing::of(c.status, c.not_after, app.now());
    if let Some(kind) = kind
        && !offers(c.cert_type, standing).contains(&kind)
    {
        errors.add(
            "kind",
            if standing == Standing::Revoked {
                "certificate.revoked_no_start"
            } else {
                "certificate.kind_not_offered"
            },
        );
    }
    if cert_type.is_some_and(|t| t != c.cert_type) {
        errors.add("cert_type", "certificate.type_differs");
    }
    Ok(c.serial)
}
