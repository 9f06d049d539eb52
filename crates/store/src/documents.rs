//! 电子件: uploaded documents of an application. The content lives in the blob store
//! under its SHA-256; here is who uploaded what, when. A newer upload of the same kind
//! supersedes the older one, which is kept.

use domain::application::{DocumentKind, FileType};
use domain::ids::{ApplicationId, DocumentId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub application_id: ApplicationId,
    pub kind: DocumentKind,
    pub blob_key: String,
    pub file_name: String,
    pub file_type: FileType,
    pub size: u64,
    pub uploaded_by: UserId,
    pub uploaded_at: Timestamp,
    pub superseded_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    application_id: String,
    document_kind: String,
    blob_key: String,
    file_name: String,
    content_type: String,
    size: i64,
    uploaded_by: String,
    uploaded_at: i64,
    superseded_at: Option<i64>,
}

impl TryFrom<Row> for DocumentRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("document {}: {w}", r.id));
        Ok(DocumentRecord {
            id: DocumentId::parse(&r.id).map_err(|_| corrupt("id"))?,
            application_id: ApplicationId::parse(&r.application_id)
                .map_err(|_| corrupt("application"))?,
            kind: DocumentKind::parse(&r.document_kind).map_err(|_| corrupt("kind"))?,
            file_type: FileType::parse(&r.content_type).map_err(|_| corrupt("type"))?,
            size: u64::try_from(r.size).map_err(|_| corrupt("size"))?,
            uploaded_by: UserId::parse(&r.uploaded_by).map_err(|_| corrupt("uploader"))?,
            uploaded_at: from_micros(r.uploaded_at)?,
            superseded_at: r.superseded_at.map(from_micros).transpose()?,
            blob_key: r.blob_key,
            file_name: r.file_name,
        })
    }
}

const COLUMNS: &str = "id, application_id, document_kind, blob_key, file_name, content_type, size, \
                       uploaded_by, uploaded_at, superseded_at";

pub struct NewDocument<'a> {
    pub id: DocumentId,
    pub application_id: ApplicationId,
    pub kind: DocumentKind,
    pub blob_key: &'a str,
    pub file_name: &'a str,
    pub file_type: FileType,
    pub size: u64,
    pub uploaded_by: UserId,
    pub at: Timestamp,
}

/// Records an upload; the current document of that kind, if any, is superseded.
pub async fn insert(conn: &mut AnyConnection, d: &NewDocument<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE documents SET superseded_at = $3 \
         WHERE application_id = $1 AND document_kind = $2 AND superseded_at IS NULL",
    )
    .bind(d.application_id.to_text())
    .bind(d.kind.as_str())
    .bind(micros(d.at))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO documents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)"
    ))
    .bind(d.id.to_text())
    .bind(d.application_id.to_text())
    .bind(d.kind.as_str())
    .bind(d.blob_key)
    .bind(d.file_name)
    .bind(d.file_type.as_str())
    .bind(i64::try_from(d.size).unwrap_or(i64::MAX))
    .bind(d.uploaded_by.to_text())
    .bind(micros(d.at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The current documents of an application (not superseded), by kind.
pub async fn current(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Vec<DocumentRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE application_id = $1 AND superseded_at IS NULL \
         ORDER BY document_kind, uploaded_at"
    ))
    .bind(application.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(DocumentRecord::try_from).collect()
}

pub async fn get(
    conn: &mut AnyConnection,
    id: DocumentId,
) -> Result<Option<DocumentRecord>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM documents WHERE id = $1"))
            .bind(id.to_text())
            .fetch_optional(conn)
            .await?;
    row.map(DocumentRecord::try_from).transpose()
}

/// The seal image (印章图片) bound to a seal certificate: the current one uploaded with the
/// order that produced it, else that of the certificate it replaced (a 年检 or 延期 without
/// a new image), and so on back.
pub async fn seal_image_of(
    conn: &mut AnyConnection,
    certificate: domain::ids::CertificateId,
) -> Result<Option<DocumentRecord>, StoreError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let row: Option<Row> = sqlx::query_as(&format!(
        "WITH RECURSIVE chain (id, application_id, replaces, depth) AS ( \
             SELECT id, application_id, replaces, 0 FROM certificates WHERE id = $1 \
             UNION ALL \
             SELECT c.id, c.application_id, c.replaces, chain.depth + 1 \
             FROM certificates c JOIN chain ON c.id = chain.replaces WHERE chain.depth < 64) \
         SELECT {columns} FROM chain JOIN documents d ON d.application_id = chain.application_id \
         WHERE d.document_kind = $2 AND d.superseded_at IS NULL \
         ORDER BY chain.depth, d.uploaded_at DESC LIMIT 1"
    ))
    .bind(certificate.to_text())
    .bind(DocumentKind::SealImage.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(DocumentRecord::try_from).transpose()
}
