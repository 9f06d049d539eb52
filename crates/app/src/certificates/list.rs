//! 证书管理 (an organisation's or an individual's certificates) and the staff's
//! certificate search: newest first, 20 a page, filtered by status and type.

use domain::application::CertType;
use serde::{Deserialize, Serialize};
use store::certificates::{Filter, Listed, Scope, Search};

use super::{CertificateSummary, Standing, owner_of, summaries};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

pub const PAGE_SIZE: u32 = 20;

/// Filters of 证书管理, as the query string carries them.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(default)]
pub struct ListQuery {
    /// valid | revoked | expired; empty for all.
    pub status: String,
    /// org_master | org_staff | personal | seal; empty for all.
    pub cert_type: String,
    /// From 1.
    pub page: Option<u32>,
}

/// The staff's search: one box, and the same filters.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(default)]
pub struct SearchQuery {
    /// A serial (hex, any case, colons allowed; its start is enough), a 统一社会信用代码,
    /// part of an organisation's name, or the start of a holder's name.
    pub q: String,
    pub status: String,
    pub cert_type: String,
    pub page: Option<u32>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ListView {
    pub items: Vec<CertificateSummary>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
}

fn filter_of(app: &App, status: &str, cert_type: &str) -> Result<Filter, Error> {
    let mut errors = crate::FieldErrors::new();
    let shown = match status.trim() {
        "" => None,
        s => match Standing::parse(s) {
            Some(v) => Some(v.shown()),
            None => {
                errors.add("status", "certificate.status_unknown");
                None
            }
        },
    };
    let cert_type = match cert_type.trim() {
        "" => None,
        t => errors.check("cert_type", CertType::parse(t)),
    };
    errors.into_result()?;
    Ok(Filter {
        shown,
        cert_type,
        now: app.now(),
    })
}

async fn page_of(
    app: &App,
    page: Option<u32>,
    manage: impl Fn(&Listed) -> bool,
    fetch: impl AsyncFnOnce(&mut store::AnyConnection, u32) -> Result<(Vec<Listed>, u64), Error>,
) -> Result<ListView, Error> {
    let page = page.unwrap_or(1).max(1);
    let mut conn = app.store.conn().await?;
    let (rows, total) = fetch(&mut conn, (page - 1).saturating_mul(PAGE_SIZE)).await?;
    let items = summaries(&mut conn, rows, app.now(), manage).await?;
    Ok(ListView {
        items,
        total,
        page,
        pages: u32::try_from(total.div_ceil(u64::from(PAGE_SIZE)))
            .unwrap_or(u32::MAX)
            .max(1),
    })
}

/// 证书管理: an organisation's members see its certificates; an individual sees the ones
/// they hold. Newest first.
pub async fn list(app: &App, actor: &Actor, query: &ListQuery) -> Result<ListView, Error> {
    authorize(actor, Action::ListOwnCertificates)?;
    let scope = match actor.organisation() {
        Some(org) => Scope::Organisation(org),
        None => Scope::Holder(actor.id),
    };
    let filter = filter_of(app, &query.status, &query.cert_type)?;
    page_of(
        app,
        query.page,
        |c| authorize(actor, Action::ManageCertificate(owner_of(c))).is_ok(),
        async |conn, offset| {
            Ok(store::certificates::list(conn, scope, &filter, offset, PAGE_SIZE).await?)
        },
    )
    .await
}

/// What a search box's text may be: a serial (or its start), a USCC, an organisation's
/// name (part of it) or a holder's name (its start).
fn search_of(q: &str) -> Search {
    let q: String = q.trim().chars().take(100).collect();
    if q.is_empty() {
        return Search::default();
    }
    let hex: String = q
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let serial_prefix = if hex.len() >= 2 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        // Serials are stored without a leading zero byte (`openssl x509 -text` shows one
        // when the top bit is set).
        Some(match hex.strip_prefix("00") {
            Some(rest) if !rest.is_empty() => rest.to_owned(),
            _ => hex,
        })
    } else {
        None
    };
    let upper = q.to_ascii_uppercase();
    Search {
        serial_prefix,
        credit_code: Some(upper.clone()),
        organisations: Some((upper, q.clone())),
        name_prefix: Some(q),
    }
}

/// The staff's certificate search (by serial, organisation, USCC or holder), newest first;
/// every certificate when the box is empty.
pub async fn search(app: &App, actor: &Actor, query: &SearchQuery) -> Result<ListView, Error> {
    authorize(actor, Action::SearchCertificates)?;
    let filter = filter_of(app, &query.status, &query.cert_type)?;
    let search = search_of(&query.q);
    page_of(
        app,
        query.page,
        |_| false,
        async |conn, offset| {
            Ok(store::certificates::search(conn, &search, &filter, offset, PAGE_SIZE).await?)
        },
    )
    .await
}
