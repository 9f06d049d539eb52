//! The issued invoice's PDF, for the order's owner (发票管理) and for finance.

use domain::ids::ApplicationId;

use super::{load, owner_of};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

pub struct InvoicePdf {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// The PDF attached when the invoice was issued; not found before that.
pub async fn download_pdf(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
) -> Result<InvoicePdf, Error> {
    let mut conn = app.store.conn().await?;
    let i = load(&mut conn, id).await?;
    authorize(actor, Action::ViewInvoice(owner_of(&i)))?;
    drop(conn);
    let key = i.invoice.pdf_blob_key.as_deref().ok_or(Error::NotFound)?;
    let key = blobs::BlobKey::parse(key).map_err(|e| Error::Internal(e.to_string()))?;
    let content = app
        .blobs
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let number = i.invoice.invoice_number.unwrap_or_default();
    Ok(InvoicePdf {
        file_name: format!("发票_{}_{number}.pdf", i.order_number),
        content,
    })
}
