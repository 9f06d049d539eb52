//! 所需材料: which 电子件 each kind × certificate type asks for, required or optional.

use domain::application::{CertType, DocumentKind, Kind, default_requirements};
use serde::{Deserialize, Serialize};

use super::{Source, audit, kind_and_type, offered, parsed};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// What an application needs of one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Submitting waits for it.
    Required,
    /// Asked for, not waited for.
    Optional,
    /// Not asked for.
    None,
}

impl Need {
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Required => "required",
            Need::Optional => "optional",
            Need::None => "none",
        }
    }

    fn parse(s: &str) -> Option<Need> {
        match s.trim() {
            "required" => Some(Need::Required),
            "optional" => Some(Need::Optional),
            "none" | "" => Some(Need::None),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentNeedView {
    #[schema(value_type = String)]
    pub document: DocumentKind,
    pub need: Need,
    /// What the shipped defaults say.
    pub default_need: Need,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentSetView {
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub cert_type: CertType,
    /// Every document kind, in catalogue order, with what is in force.
    pub documents: Vec<DocumentNeedView>,
    pub source: Source,
}

impl DocumentSetView {
    /// The documents asked for (required or optional), for lists.
    pub fn asked(&self) -> impl Iterator<Item = &DocumentNeedView> {
        self.documents.iter().filter(|d| d.need != Need::None)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DocumentNeedInput {
    /// handler_id | legal_rep_id | business_licence | uscc_certificate |
    /// power_of_attorney | application_form | statement | seal_image
    pub document: String,
    /// required | optional | none
    pub need: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SetDocumentsInput {
    pub kind: String,
    pub cert_type: String,
    /// Documents not listed are not asked for.
    pub documents: Vec<DocumentNeedInput>,
}

fn need_in(list: &[(DocumentKind, bool)], d: DocumentKind) -> Need {
    match list.iter().find(|(k, _)| *k == d) {
        Some((_, true)) => Need::Required,
        Some((_, false)) => Need::Optional,
        None => Need::None,
    }
}

async fn view_of(
    conn: &mut store::AnyConnection,
    kind: Kind,
    cert_type: CertType,
) -> Result<DocumentSetView, Error> {
    let stored = store::config::requirements(conn, kind, cert_type).await?;
    let defaults: Vec<(DocumentKind, bool)> = default_requirements(kind, cert_type)
        .into_iter()
        .map(|r| (r.document, r.required))
        .collect();
    let in_force = stored.as_deref().unwrap_or(&defaults);
    Ok(DocumentSetView {
        kind,
        cert_type,
        documents: DocumentKind::ALL
            .iter()
            .map(|d| DocumentNeedView {
                document: *d,
                need: need_in(in_force, *d),
                default_need: need_in(&defaults, *d),
            })
            .collect(),
        source: Source::of(stored.is_some()),
    })
}

/// Every kind offered for each certificate type.
pub async fn document_sets(app: &App, actor: &Actor) -> Result<Vec<DocumentSetView>, Error> {
    authorize(actor, Action::Configure)?;
    let mut conn = app.store.conn().await?;
    let mut out = Vec::new();
    for k in Kind::ALL {
        for t in CertType::ALL {
            if offered(*k, *t) {
                out.push(view_of(&mut conn, *k, *t).await?);
            }
        }
    }
    Ok(out)
}

/// One kind × certificate type (`NotFound` for a pair that is not offered).
pub async fn document_set(
    app: &App,
    actor: &Actor,
    kind_text: &str,
    type_text: &str,
) -> Result<DocumentSetView, Error> {
    authorize(actor, Action::Configure)?;
    let (Ok(k), Ok(t)) = (Kind::parse(kind_text), CertType::parse(type_text)) else {
        return Err(Error::NotFound);
    };
    if !offered(k, t) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    view_of(&mut conn, k, t).await
}

pub async fn set_documents(
    app: &App,
    actor: &Actor,
    input: &SetDocumentsInput,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let pair = kind_and_type(&mut errors, &input.kind, &input.cert_type);
    let mut list: Vec<(DocumentKind, bool)> = Vec::new();
    let mut seen: Vec<DocumentKind> = Vec::new();
    for item in &input.documents {
        let Ok(document) = DocumentKind::parse(&item.document) else {
            errors.add("documents", "config.error.document_kind");
            continue;
        };
        if seen.contains(&document) {
            errors.add(document.as_str(), "config.error.document_twice");
            continue;
        }
        seen.push(document);
        match Need::parse(&item.need) {
            Some(Need::Required) => list.push((document, true)),
            Some(Need::Optional) => list.push((document, false)),
            Some(Need::None) => {}
            None => errors.add(document.as_str(), "config.error.document_need"),
        }
    }
    let (kind, cert_type) = parsed(errors, pair)?;
    let mut tx = app.store.begin().await?;
    store::config::set_requirements(&mut tx, kind, cert_type, &list, app.now()).await?;
    let detail = list
        .iter()
        .map(|(d, r)| format!("{d}:{}", if *r { "required" } else { "optional" }))
        .collect::<Vec<_>>()
        .join(",");
    audit(
        &mut tx,
        app,
        actor,
        "config.documents.set",
        &format!("config:documents:{kind}:{cert_type}"),
        &detail,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Back to the shipped list.
pub async fn reset_documents(
    app: &App,
    actor: &Actor,
    kind_text: &str,
    type_text: &str,
) -> Result<(), Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let pair = kind_and_type(&mut errors, kind_text, type_text);
    let (kind, cert_type) = parsed(errors, pair)?;
    let mut tx = app.store.begin().await?;
    store::config::delete_requirements(&mut tx, kind, cert_type).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.documents.reset",
        &format!("config:documents:{kind}:{cert_type}"),
        "default",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
