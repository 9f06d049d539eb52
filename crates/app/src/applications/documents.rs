//! 电子件: uploads (checked by content, stored content-addressed), downloads for those
//! allowed, and the prefilled .docx templates.

use domain::application::{DocumentKind, FileType};
use domain::ids::{ApplicationId, DocumentId};
use store::documents::NewDocument;

use super::{flow_of, load, owner};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// Stores an upload for a document of the application. Only while the applicant
/// may edit (fill). Nothing is stored when the file is refused.
pub async fn upload_document(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    document_kind: &str,
    file_name: &str,
    content: &[u8],
) -> Result<DocumentId, Error> {
    {
        let mut conn = app.store.conn().await?;
        let record = load(&mut conn, id).await?;
        authorize(actor, Action::EditApplication(owner(&record)))?;
        if !flow_of(&record)?.is_editable() {
            return Err(Error::Refused("transition.not_editable"));
        }
    }
    let kind = DocumentKind::parse(document_kind)
        .map_err(|_| Error::field("document_kind", "document_kind.unknown"))?;
    let file_type = FileType::check_upload(file_name, content)
        .map_err(|e| Error::field(kind.as_str(), domain::Reason::key(&e)))?;
    let key = app
        .blobs
        .put(content)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let doc = DocumentId::new();
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let mut tx = app.store.begin().await?;
    let record = load(&mut tx, id).await?;
    if !flow_of(&record)?.is_editable() {
        return Err(Error::Refused("transition.not_editable"));
    }
    store::documents::insert(
        &mut tx,
        &NewDocument {
            id: doc,
            application_id: id,
            kind,
            blob_key: key.as_str(),
            file_name: if name.is_empty() { "upload" } else { &name },
            file_type,
            size: content.len() as u64,
            uploaded_by: actor.id,
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(application = %id, document = %doc, kind = %kind, "document uploaded");
    Ok(doc)
}

pub struct DocumentDownload {
    pub file_name: String,
    pub content_type: &'static str,
    pub content: Vec<u8>,
}

/// A document's content, for the applicant's organisation and for staff.
pub async fn download_document(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    document: DocumentId,
) -> Result<DocumentDownload, Error> {
    let mut conn = app.store.conn().await?;
    let record = load(&mut conn, id).await?;
    authorize(actor, Action::ViewApplication(owner(&record)))?;
    let doc = store::documents::get(&mut conn, document)
        .await?
        .ok_or(Error::NotFound)?;
    if doc.application_id != id {
        return Err(Error::NotFound);
    }
    drop(conn);
    let key = blobs::BlobKey::parse(&doc.blob_key).map_err(|e| Error::Internal(e.to_string()))?;
    let content = app
        .blobs
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(DocumentDownload {
        file_name: doc.file_name,
        content_type: doc.file_type.as_str(),
        content,
    })
}

pub struct TemplateDownload {
    pub file_name: &'static str,
    pub content: Vec<u8>,
}

/// 法人授权委托书, CA证书申请表 or 情况说明书, prefilled with the organisation's and the
/// order's data as saved.
pub async fn render_template(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    template: &str,
) -> Result<TemplateDownload, Error> {
    let template = match template {
        "power_of_attorney" => paperwork::Template::PowerOfAttorney,
        "application_form" => paperwork::Template::ApplicationForm,
        "statement" => paperwork::Template::Statement,
        _ => return Err(Error::NotFound),
    };
    let mut conn = app.store.conn().await?;
    let record = load(&mut conn, id).await?;
    authorize(actor, Action::ViewApplication(owner(&record)))?;
    let form: super::ApplicationInput = serde_json::from_str(&record.form).unwrap_or_default();
    let org = match record.organisation_id {
        Some(org) => store::organisations::find(&mut conn, org).await?,
        None => None,
    };
    let today = app.now().to_zoned(super::transition::shanghai()).date();
    let data = paperwork::FormData {
        organisation_name: org.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        credit_code: org
            .as_ref()
            .map(|o| o.credit_code.as_str().to_owned())
            .unwrap_or_default(),
        organisation_address: org.as_ref().map(|o| o.address.clone()).unwrap_or_default(),
        legal_representative: org
            .as_ref()
            .map(|o| o.legal_representative.clone())
            .unwrap_or_default(),
        handler_name: form.handler_name.clone(),
        handler_id_number: form.handler_id_number.clone(),
        handler_mobile: form.handler_mobile.clone(),
        handler_email: form.handler_email.clone(),
        order_number: record.order_number.to_string(),
        kind_label: kind_zh(record.kind).into(),
        certificate_type_label: cert_type_zh(record.cert_type).into(),
        quantity: record.quantity,
        years: record.years,
        certificate_serial: Some(form.certificate_serial.clone()).filter(|s| !s.trim().is_empty()),
        replace_reason: Some(form.replace_reason.clone()).filter(|s| !s.trim().is_empty()),
        date: format!("{}年{}月{}日", today.year(), today.month(), today.day()),
    };
    let content = paperwork::render(template, &data).map_err(|e| match e {
        paperwork::PaperworkError::MissingOrganisation => {
            Error::Refused("template.organisation_only")
        }
        paperwork::PaperworkError::MissingReplaceReason => {
            Error::field("replace_reason", "template.reason_first")
        }
        other => Error::Internal(other.to_string()),
    })?;
    Ok(TemplateDownload {
        file_name: template.file_name(),
        content,
    })
}

pub fn kind_zh(k: domain::application::Kind) -> &'static str {
    use domain::application::Kind::*;
    match k {
        New => "新办",
        Renew => "延期",
        Replace => "补办",
        Change => "信息变更",
        Inspect => "年检",
        Cancel => "注销",
    }
}

pub fn cert_type_zh(t: domain::application::CertType) -> &'static str {
    use domain::application::CertType::*;
    match t {
        OrgMaster => "单位主锁",
        OrgStaff => "机构个人证书（项目负责人锁）",
        Personal => "个人证书",
        Seal => "电子签章",
    }
}
