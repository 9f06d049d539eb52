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
