//! 证书管理: the lists of issued certificates (an organisation's, an individual's, the
//! staff's search) and the 关联平台 each is registered on (`certificate_platforms`).
//!
//! The certificates themselves are written by [`crate::ca`]; this module only reads them,
//! a page at a time: the page's ids are found by walking one index in order (as
//! [`crate::applications`] does), then only those rows are read.

use domain::application::CertType;
use domain::ids::{ApplicationId, AuthorityId, CertificateId, OrganisationId, PlatformId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::ca::CertificateStatus;
use crate::{StoreError, from_micros, micros};

/// Whose certificates a list shows.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// An organisation's (`certificates.organisation_id`).
    Organisation(OrganisationId),
    /// An individual's own: held by them, of no organisation.
    Holder(UserId),
}

/// The status a person sees. "Expired" is not stored: a valid certificate past its
/// `not_after` is expired; a revoked one stays revoked whatever its dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Valid,
    Revoked,
    Expired,
}

#[derive(Clone, Debug)]
pub struct Filter {
    pub shown: Option<Shown>,
    pub cert_type: Option<CertType>,
    /// The instant "expired" is judged at.
    pub now: Timestamp,
}

/// What the staff search looks for; every part that is set may match (OR).
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Upper-case hex: serials starting with it.
    pub serial_prefix: Option<String>,
    /// An exact 统一社会信用代码.
    pub credit_code: Option<String>,
    /// Certificates of organisations (as they are now) whose USCC is the first (exact)
    /// or whose name contains the second.
    pub organisations: Option<(String, String)>,
    /// The start of a holder's or (as issued) an organisation's name.
    pub name_prefix: Option<String>,
}

impl Search {
    pub fn is_empty(&self) -> bool {
        self.serial_prefix.is_none()
            && self.credit_code.is_none()
            && self.organisations.is_none()
            && self.name_prefix.is_none()
    }
}

/// A certificate as lists show it (no DER).
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: CertificateId,
    pub serial: String,
    pub issuer_id: AuthorityId,
    pub application_id: Option<ApplicationId>,
    pub organisation_id: Option<OrganisationId>,
    pub holder_user_id: Option<UserId>,
    pub cert_type: CertType,
    pub subject: String,
    pub holder_name: String,
    pub organisation_name: Option<String>,
    pub credit_code: Option<String>,
    pub token_serial: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub status: CertificateStatus,
    pub revoked_at: Option<Timestamp>,
    pub revocation_reason: Option<String>,
    pub replaces: Option<CertificateId>,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    serial: String,
    issuer_id: String,
    application_id: Option<String>,
    organisation_id: Option<String>,
    holder_user_id: Option<String>,
    cert_type: String,
    subject: String,
    holder_name: String,
    organisation_name: Option<String>,
    credit_code: Option<String>,
    token_serial: Option<String>,
    not_before: i64,
    not_after: i64,
    status: String,
    revoked_at: Option<i64>,
    revocation_reason: Option<String>,
    replaces: Option<String>,
    created_at: i64,
}

const COLUMNS: &str = "c.id, c.serial, c.issuer_id, c.application_id, c.organisation_id, \
    c.holder_user_id, c.cert_type, c.subject, c.holder_name, c.organisation_name, c.credit_code, \
    c.token_serial, c.not_before, c.not_after, c.status, c.revoked_at, c.revocation_reason, \
    c.replaces, c.created_at";

impl TryFrom<Row> for Listed {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Listed, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("certificate {}: {what}", r.id));
        fn opt<T>(
            v: Option<&str>,
            parse: impl Fn(&str) -> Result<T, uuid::Error>,
        ) -> Result<Option<T>, ()> {
            v.map(parse).transpose().map_err(|_| ())
        }
        Ok(Listed {
            id: CertificateId::parse(&r.id).map_err(|_| corrupt("id"))?,
            issuer_id: AuthorityId::parse(&r.issuer_id).map_err(|_| corrupt("issuer"))?,
            application_id: opt(r.application_id.as_deref(), ApplicationId::parse)
                .map_err(|_| corrupt("application"))?,
            organisation_id: opt(r.organisation_id.as_deref(), OrganisationId::parse)
                .map_err(|_| corrupt("organisation"))?,
            holder_user_id: opt(r.holder_user_id.as_deref(), UserId::parse)
                .map_err(|_| corrupt("holder"))?,
            cert_type: CertType::parse(&r.cert_type).map_err(|_| corrupt("cert_type"))?,
            status: CertificateStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            replaces: opt(r.replaces.as_deref(), CertificateId::parse)
                .map_err(|_| corrupt("replaces"))?,
            not_before: from_micros(r.not_before)?,
            not_after: from_micros(r.not_after)?,
            revoked_at: r.revoked_at.map(from_micros).transpose()?,
            created_at: from_micros(r.created_at)?,
            serial: r.serial,
            subject: r.subject,
            holder_name: r.holder_name,
            organisation_name: r.organisation_name,
            credit_code: r.credit_code,
            token_serial: r.token_serial,
            revocation_reason: r.revocation_reason,
        })
    }
}

enum Arg {
    Text(String),
    Int(i64),
}

struct Query {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Query {
    fn new() -> Query {
        Query {
            clauses: Vec::new(),
            args: Vec::new(),
        }
    }

    /// The next placeholder, bound to `arg`.
    fn mark(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn push(&mut self, sql: String) {
        self.clauses.push(sql);
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn bind<'q, O>(
        &self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Text(t) => q.bind(t.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn filtered(q: &mut Query, f: &Filter) {
    match f.shown {
        None => {}
        Some(Shown::Revoked) => q.push("c.status = 'revoked'".into()),
        Some(Shown::Valid) => {
            let now = q.mark(Arg::Int(micros(f.now)));
            q.push(format!("c.status = 'valid' AND c.not_after > {now}"));
        }
        Some(Shown::Expired) => {
            let now = q.mark(Arg::Int(micros(f.now)));
            q.push(format!("c.status = 'valid' AND c.not_after <= {now}"));
        }
    }
    if let Some(t) = f.cert_type {
        let m = q.mark(Arg::Text(t.as_str().to_owned()));
        q.push(format!("c.cert_type = {m}"));
    }
}

/// One page, newest first, and the number of matches in all. The page's ids come from
/// an index walk (`ORDER BY created_at DESC` on an index that starts with the scope's
/// column); then only those rows are read.
async fn page(
    conn: &mut AnyConnection,
    q: &Query,
    offset: u32,
    limit: u32,
) -> Result<(Vec<Listed>, u64), StoreError> {
    let ids = format!(
        "SELECT c.id AS id, c.created_at AS k FROM certificates c {} \
         ORDER BY c.created_at DESC, c.id DESC LIMIT {limit} OFFSET {offset}",
        q.where_sql()
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM ({ids}) AS p JOIN certificates c ON c.id = p.id \
         ORDER BY p.k DESC, p.id DESC"
    );
    let rows: Vec<Row> = q.bind(sqlx::query_as(&sql)).fetch_all(&mut *conn).await?;
    let list = rows
        .into_iter()
        .map(Listed::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let count_sql = format!("SELECT COUNT(*) FROM certificates c {}", q.where_sql());
    let (total,): (i64,) = q.bind(sqlx::query_as(&count_sql)).fetch_one(conn).await?;
    Ok((list, u64::try_from(total).unwrap_or(0)))
}

/// 证书管理: the certificates of `scope`, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    scope: Scope,
    filter: &Filter,
    offset: u32,
    limit: u32,
) -> Result<(Vec<Listed>, u64), StoreError> {
    let mut q = Query::new();
    match scope {
        Scope::Organisation(org) => {
            let m = q.mark(Arg::Text(org.to_text()));
            q.push(format!("c.organisation_id = {m}"));
        }
        Scope::Holder(user) => {
            let m = q.mark(Arg::Text(user.to_text()));
            q.push(format!(
                "c.holder_user_id = {m} AND c.organisation_id IS NULL"
            ));
        }
    }
    filtered(&mut q, filter);
    page(conn, &q, offset, limit).await
}

/// The staff's search, newest first: every certificate when `search` is empty.
pub async fn search(
    conn: &mut AnyConnection,
    search: &Search,
    filter: &Filter,
    offset: u32,
    limit: u32,
) -> Result<(Vec<Listed>, u64), StoreError> {
    let mut q = Query::new();
    let mut any = Vec::new();
    if let Some(p) = &search.serial_prefix {
        // Serials are upper-case hex: every one starting with p sorts before p + "G".
        let from = q.mark(Arg::Text(p.clone()));
        let to = q.mark(Arg::Text(format!("{p}G")));
        any.push(format!("(c.serial >= {from} AND c.serial < {to})"));
    }
    if let Some(code) = &search.credit_code {
        let m = q.mark(Arg::Text(code.clone()));
        any.push(format!("c.credit_code = {m}"));
    }
    if let Some((code, part)) = &search.organisations {
        let code = q.mark(Arg::Text(code.clone()));
        let like = q.mark(Arg::Text(format!("%{}%", escape_like(part))));
        any.push(format!(
            "c.organisation_id IN (SELECT id FROM organisations \
             WHERE credit_code = {code} OR name LIKE {like} ESCAPE '\\')"
        ));
    }
    if let Some(name) = &search.name_prefix {
        let like = format!("{}%", escape_like(name));
        let a = q.mark(Arg::Text(like.clone()));
        let b = q.mark(Arg::Text(like));
        any.push(format!(
            "c.holder_name LIKE {a} ESCAPE '\\' OR c.organisation_name LIKE {b} ESCAPE '\\'"
        ));
    }
    if !any.is_empty() {
        q.push(format!("({})", any.join(" OR ")));
    }
    filtered(&mut q, filter);
    page(conn, &q, offset, limit).await
}

/// The serial of a certificate (the one another replaced).
pub async fn serial_of(
    conn: &mut AnyConnection,
    id: CertificateId,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT serial FROM certificates WHERE id = $1")
        .bind(id.to_text())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(s,)| s))
}

/// The certificate of the CA that issued a certificate (DER), to name the issuer.
pub async fn issuer_certificate(
    conn: &mut AnyConnection,
    issuer: AuthorityId,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT certificate FROM ca_authorities WHERE id = $1")
            .bind(issuer.to_text())
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(d,)| d))
}

/// A live link of a certificate to a 关联平台.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformLink {
    pub certificate_id: CertificateId,
    pub platform_id: PlatformId,
    pub platform_name: String,
    pub linked_at: Timestamp,
}

/// The platforms each of `certificates` is linked to now, by platform name.
pub async fn platforms_of(
    conn: &mut AnyConnection,
    certificates: &[CertificateId],
) -> Result<Vec<PlatformLink>, StoreError> {
    if certificates.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=certificates.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT cp.certificate_id, cp.platform_id, p.name, cp.linked_at \
         FROM certificate_platforms cp JOIN linked_platforms p ON p.id = cp.platform_id \
         WHERE cp.unlinked_at IS NULL AND cp.certificate_id IN ({}) \
         ORDER BY p.name, cp.platform_id",
        marks.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String, String, i64)>(&sql);
    for c in certificates {
        q = q.bind(c.to_text());
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|(c, p, name, at)| {
            let corrupt = || StoreError::Corrupt(format!("certificate platform {c}/{p}"));
            Ok(PlatformLink {
                certificate_id: CertificateId::parse(&c).map_err(|_| corrupt())?,
                platform_id: PlatformId::parse(&p).map_err(|_| corrupt())?,
                platform_name: name,
                linked_at: from_micros(at)?,
            })
        })
        .collect()
}

/// Links a certificate to a platform. A second live link of the same pair is refused by
/// the database ([`crate::Conflict::CertificatePlatform`]).
pub async fn link(
    conn: &mut AnyConnection,
    certificate: CertificateId,
    platform: PlatformId,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO certificate_platforms (certificate_id, platform_id, linked_at, linked_by) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(certificate.to_text())
    .bind(platform.to_text())
    .bind(micros(at))
    .bind(by.map(UserId::to_text))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the live link of a certificate to a platform. False when there is none.
pub async fn unlink(
    conn: &mut AnyConnection,
    certificate: CertificateId,
    platform: PlatformId,
    at: Timestamp,
    by: Option<UserId>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certificate_platforms SET unlinked_at = $3, unlinked_by = $4 \
         WHERE certificate_id = $1 AND platform_id = $2 AND unlinked_at IS NULL",
    )
    .bind(certificate.to_text())
    .bind(platform.to_text())
    .bind(micros(at))
    .bind(by.map(UserId::to_text))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
