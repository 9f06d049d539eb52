//! Invoices (开票信息, 发票管理): one per order at most. Edited by a conditional update while
//! `requested`; issued once by finance (a conditional update, so two clicks issue once);
//! a paper one then leaves by mail or is picked up. Never deleted.

use domain::ids::{ApplicationId, OrganisationId, ServicePointId, UserId};
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

/// 发票类型.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceKind {
    /// 电子普通发票 (数电票)
    ElectronicNormal,
    /// 电子专用发票 (数电票)
    ElectronicSpecial,
    /// 纸质专票 (增值税专用发票)
    PaperSpecial,
}

impl InvoiceKind {
    pub const ALL: [InvoiceKind; 3] = [
        InvoiceKind::ElectronicNormal,
        InvoiceKind::ElectronicSpecial,
        InvoiceKind::PaperSpecial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::ElectronicNormal => "e_normal",
            InvoiceKind::ElectronicSpecial => "e_special",
            InvoiceKind::PaperSpecial => "paper_special",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 专票: the buyer's address, phone, bank and account are required.
    pub fn is_special(self) -> bool {
        self != InvoiceKind::ElectronicNormal
    }

    pub fn is_paper(self) -> bool {
        self == InvoiceKind::PaperSpecial
    }
}

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Asked for; editable; enters finance's queue once the order is paid.
    Requested,
    /// 已开票: number, date and (for electronic ones) the PDF recorded.
    Issued,
    /// A paper one was mailed (已寄出).
    Shipped,
    /// A paper one was picked up at the service point (已领取).
    Collected,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Requested => "requested",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Shipped => "shipped",
            InvoiceStatus::Collected => "collected",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        [
            Self::Requested,
            Self::Issued,
            Self::Shipped,
            Self::Collected,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How a paper invoice reaches the buyer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    /// 邮寄
    Mail,
    /// 现场领取 at a service point
    Pickup,
}

impl Collection {
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::Mail => "mail",
            Collection::Pickup => "pickup",
        }
    }

    pub fn parse(s: &str) -> Option<Collection> {
        [Self::Mail, Self::Pickup]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What the applicant asks for, as checked by the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceFields {
    pub kind: InvoiceKind,
    pub buyer_name: String,
    pub tax_id: String,
    pub buyer_address: String,
    pub buyer_phone: String,
    pub bank_name: String,
    pub bank_account: String,
    pub notify_mobile: String,
    pub notify_email: String,
    pub collection: Option<Collection>,
    pub service_point_id: Option<ServicePointId>,
    pub mail_recipient: String,
    pub mail_phone: String,
    pub mail_address: String,
}

#[derive(Clone, Debug)]
pub struct InvoiceRecord {
    pub application_id: ApplicationId,
    pub organisation_id: Option<OrganisationId>,
    pub applicant_id: UserId,
    pub fields: InvoiceFields,
    pub status: InvoiceStatus,
    pub invoice_code: String,
    pub invoice_number: Option<String>,
    pub issued_on: Option<String>,
    pub pdf_blob_key: Option<String>,
    pub pdf_size: Option<i64>,
    pub issued_at: Option<Timestamp>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub handed_at: Option<Timestamp>,
    pub requested_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// An invoice with its order: the order number, the amount (the paid amount once paid, else
/// the order's), and whether the order is paid.
#[derive(Clone, Debug)]
pub struct ListedInvoice {
    pub invoice: InvoiceRecord,
    pub order_number: String,
    pub amount: i64,
    pub paid: bool,
}

const COLUMNS: &str = "i.application_id, i.organisation_id, i.applicant_id, i.invoice_type, \
     i.buyer_name, i.tax_id, i.buyer_address, i.buyer_phone, i.bank_name, i.bank_account, \
     i.notify_mobile, i.notify_email, i.collection, i.service_point_id, i.mail_recipient, \
     i.mail_phone, i.mail_address, i.status, i.invoice_code, i.invoice_number, i.issued_on, \
     i.pdf_blob_key, i.pdf_size, i.issued_at, i.carrier, i.tracking_number, i.handed_at, \
     i.requested_at, i.updated_at, i.version";

/// The order's number, the amount and whether it is paid, beside [`COLUMNS`].
const ORDER_COLUMNS: &str = "a.order_number, \
     COALESCE((SELECT MAX(p.amount) FROM payments p WHERE p.application_id = i.application_id \
     AND p.status = 'paid'), a.amount) AS amount, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.application_id = i.application_id \
     AND p.status = 'paid') THEN 1 ELSE 0 END AS BIGINT) AS paid";

#[derive(FromRow)]
struct Row {
    application_id: String,
    organisation_id: Option<String>,
    applicant_id: String,
    invoice_type: String,
    buyer_name: String,
    tax_id: String,
    buyer_address: String,
    buyer_phone: String,
    bank_name: String,
    bank_account: String,
    notify_mobile: String,
    notify_email: String,
    collection: Option<String>,
    service_point_id: Option<String>,
    mail_recipient: String,
    mail_phone: String,
    mail_address: String,
    status: String,
    invoice_code: String,
    invoice_number: Option<String>,
    issued_on: Option<String>,
    pdf_blob_key: Option<String>,
    pdf_size: Option<i64>,
    issued_at: Option<i64>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    handed_at: Option<i64>,
    requested_at: i64,
    updated_at: i64,
    version: i64,
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: Row,
    order_number: String,
    amount: i64,
    paid: i64,
}

impl TryFrom<Row> for InvoiceRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("invoice {}: {what}", r.application_id));
        Ok(InvoiceRecord {
            application_id: ApplicationId::parse(&r.application_id)
                .map_err(|_| corrupt("application"))?,
            organisation_id: r
                .organisation_id
                .as_deref()
                .map(OrganisationId::parse)
                .transpose()
                .map_err(|_| corrupt("organisation"))?,
            applicant_id: UserId::parse(&r.applicant_id).map_err(|_| corrupt("applicant"))?,
            fields: InvoiceFields {
                kind: InvoiceKind::parse(&r.invoice_type).ok_or_else(|| corrupt("type"))?,
                buyer_name: r.buyer_name,
                tax_id: r.tax_id,
                buyer_address: r.buyer_address,
                buyer_phone: r.buyer_phone,
                bank_name: r.bank_name,
                bank_account: r.bank_account,
                notify_mobile: r.notify_mobile,
                notify_email: r.notify_email,
                collection: r
                    .collection
                    .as_deref()
                    .map(|c| Collection::parse(c).ok_or_else(|| corrupt("collection")))
                    .transpose()?,
                service_point_id: r
                    .service_point_id
                    .as_deref()
                    .map(ServicePointId::parse)
                    .transpose()
                    .map_err(|_| corrupt("service point"))?,
                mail_recipient: r.mail_recipient,
                mail_phone: r.mail_phone,
                mail_address: r.mail_address,
            },
            status: InvoiceStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            invoice_code: r.invoice_code,
            invoice_number: r.invoice_number,
            issued_on: r.issued_on,
            pdf_blob_key: r.pdf_blob_key,
            pdf_size: r.pdf_size,
            issued_at: r.issued_at.map(from_micros).transpose()?,
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            handed_at: r.handed_at.map(from_micros).transpose()?,
            requested_at: from_micros(r.requested_at)?,
            updated_at: from_micros(r.updated_at)?,
            version: r.version,
        })
    }
}

impl TryFrom<ListedRow> for ListedInvoice {
    type Error = StoreError;

    fn try_from(r: ListedRow) -> Result<Self, StoreError> {
        Ok(ListedInvoice {
            invoice: InvoiceRecord::try_from(r.row)?,
            order_number: r.order_number,
            amount: r.amount,
            paid: r.paid != 0,
        })
    }
}

pub async fn get(
    conn: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<ListedInvoice>, StoreError> {
    let row: Option<ListedRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {ORDER_COLUMNS} FROM invoices i \
         JOIN applications a ON a.id = i.application_id WHERE i.application_id = $1"
    ))
    .bind(application.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(ListedInvoice::try_from).transpose()
}

/// The owner's most recently changed invoice: the organisation's (any member's), or for an
/// individual (`organisation` none) their own. Prefills the next request.
pub async fn remembered(
    conn: &mut AnyConnection,
    organisation: Option<OrganisationId>,
    applicant: UserId,
) -> Result<Option<InvoiceRecord>, StoreError> {
    let (sql, owner) = match organisation {
        Some(org) => (
            format!(
                "SELECT {COLUMNS} FROM invoices i WHERE i.organisation_id = $1 \
                 ORDER BY i.updated_at DESC LIMIT 1"
            ),
            org.to_text(),
        ),
        None => (
            format!(
                "SELECT {COLUMNS} FROM invoices i WHERE i.organisation_id IS NULL \
                 AND i.applicant_id = $1 ORDER BY i.updated_at DESC LIMIT 1"
            ),
            applicant.to_text(),
        ),
    };
    let query = sqlx::query_as(&sql).bind(owner);
    let row: Option<Row> = query.fetch_optional(conn).await?;
    row.map(InvoiceRecord::try_from).transpose()
}

fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    f: &'q InvoiceFields,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(f.kind.as_str())
        .bind(f.buyer_name.as_str())
        .bind(f.tax_id.as_str())
        .bind(f.buyer_address.as_str())
        .bind(f.buyer_phone.as_str())
        .bind(f.bank_name.as_str())
        .bind(f.bank_account.as_str())
        .bind(f.notify_mobile.as_str())
        .bind(f.notify_email.as_str())
        .bind(f.collection.map(Collection::as_str))
        .bind(f.service_point_id.map(ServicePointId::to_text))
        .bind(f.mail_recipient.as_str())
        .bind(f.mail_phone.as_str())
        .bind(f.mail_address.as_str())
}

/// Records the first request of an order. False when the order has one already (two
/// requests at once: the first wins).
pub async fn insert(
    conn: &mut AnyConnection,
    application: ApplicationId,
    organisation: Option<OrganisationId>,
    applicant: UserId,
    fields: &InvoiceFields,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let q = sqlx::query(
        "INSERT INTO invoices (invoice_type, buyer_name, tax_id, buyer_address, buyer_phone, \
         bank_name, bank_account, notify_mobile, notify_email, collection, service_point_id, \
         mail_recipient, mail_phone, mail_address, application_id, organisation_id, applicant_id, \
         status, requested_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         'requested', $18, $18, 1) ON CONFLICT (application_id) DO NOTHING",
    );
    let done = bind_fields(q, fields)
        .bind(application.to_text())
        .bind(organisation.map(OrganisationId::to_text))
        .bind(applicant.to_text())
        .bind(micros(at))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a request not yet issued, if it is still at `version`. False otherwise.
pub async fn update_request(
    conn: &mut AnyConnection,
    application: ApplicationId,
    fields: &InvoiceFields,
    version: i64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let q = sqlx::query(
        "UPDATE invoices SET invoice_type = $1, buyer_name = $2, tax_id = $3, buyer_address = $4, \
         buyer_phone = $5, bank_name = $6, bank_account = $7, notify_mobile = $8, \
         notify_email = $9, collection = $10, service_point_id = $11, mail_recipient = $12, \
         mail_phone = $13, mail_address = $14, updated_at = $15, version = version + 1 \
         WHERE application_id = $16 AND status = 'requested' AND version = $17",
    );
    let done = bind_fields(q, fields)
        .bind(micros(at))
        .bind(application.to_text())
        .bind(version)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What finance records when issuing.
#[derive(Clone, Debug)]
pub struct Issue<'a> {
    pub invoice_code: &'a str,
    pub invoice_number: &'a str,
    pub issued_on: &'a str,
    pub pdf_blob_key: Option<&'a str>,
    pub pdf_size: Option<i64>,
    pub by: UserId,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    /// Not `requested` at `version` any more (issued meanwhile, or changed by its applicant).
    NotOpen,
    /// Another invoice has this 发票代码 and 发票号码 (`invoices_number_key`).
    NumberTaken,
}

/// Marks a request issued, if it is still `requested` at `version`.
pub async fn mark_issued(
    conn: &mut AnyConnection,
    application: ApplicationId,
    version: i64,
    issue: &Issue<'_>,
) -> Result<IssueOutcome, StoreError> {
    let taken: Option<(String,)> = sqlx::query_as(
        "SELECT application_id FROM invoices WHERE invoice_code = $1 AND invoice_number = $2",
    )
    .bind(issue.invoice_code)
    .bind(issue.invoice_number)
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Ok(IssueOutcome::NumberTaken);
    }
    let done = sqlx::query(
        "UPDATE invoices SET status = 'issued', invoice_code = $3, invoice_number = $4, \
         issued_on = $5, pdf_blob_key = $6, pdf_size = $7, issued_by = $8, issued_at = $9, \
         updated_at = $9, version = version + 1 \
         WHERE application_id = $1 AND version = $2 AND status = 'requested'",
    )
    .bind(application.to_text())
    .bind(version)
    .bind(issue.invoice_code)
    .bind(issue.invoice_number)
    .bind(issue.issued_on)
    .bind(issue.pdf_blob_key)
    .bind(issue.pdf_size)
    .bind(issue.by.to_text())
    .bind(micros(issue.at))
    .execute(conn)
    .await;
    match done {
        Ok(done) if done.rows_affected() == 1 => Ok(IssueOutcome::Issued),
        Ok(_) => Ok(IssueOutcome::NotOpen),
        // Another issue with this number committed between the check and the update.
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(IssueOutcome::NumberTaken),
        Err(e) => Err(e.into()),
    }
}

/// A paper invoice left (`Shipped`, with carrier and tracking number) or was picked up
/// (`Collected`). False unless it was issued, paper, and collected that way.
pub async fn mark_handed(
    conn: &mut AnyConnection,
    application: ApplicationId,
    to: InvoiceStatus,
    carrier: Option<&str>,
    tracking_number: Option<&str>,
    by: UserId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let collection = match to {
        InvoiceStatus::Shipped => Collection::Mail,
        InvoiceStatus::Collected => Collection::Pickup,
        _ => return Ok(false),
    };
    let done = sqlx::query(
        "UPDATE invoices SET status = $2, carrier = $3, tracking_number = $4, handed_by = $5, \
         handed_at = $6, updated_at = $6, version = version + 1 \
         WHERE application_id = $1 AND status = 'issued' AND collection = $7",
    )
    .bind(application.to_text())
    .bind(to.as_str())
    .bind(carrier)
    .bind(tracking_number)
    .bind(by.to_text())
    .bind(micros(at))
    .bind(collection.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which invoices a list shows.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// An applicant's list: the organisation's invoices, or an individual's own
    /// (`(None, applicant)`). None: finance's queue, which shows only paid orders.
    pub owner: Option<(Option<OrganisationId>, UserId)>,
    /// Only these statuses; empty: all.
    pub statuses: Vec<InvoiceStatus>,
    /// An order number (exactly) or part of a buyer's name.
    pub search: String,
    pub limit: i64,
}

/// Invoices with their orders: oldest request first for finance's queue, newest first for
/// an applicant's own list.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &ListFilter,
) -> Result<Vec<ListedInvoice>, StoreError> {
    let mut sql = format!(
        "SELECT {COLUMNS}, {ORDER_COLUMNS} FROM invoices i \
         JOIN applications a ON a.id = i.application_id WHERE 1 = 1"
    );
    let mut binds: Vec<String> = Vec::new();
    let param = |binds: &mut Vec<String>, v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    match &filter.owner {
        Some((Some(org), _)) => {
            let p = param(&mut binds, org.to_text());
            sql.push_str(&format!(" AND i.organisation_id = {p}"));
        }
        Some((None, applicant)) => {
            let p = param(&mut binds, applicant.to_text());
            sql.push_str(&format!(
                " AND i.organisation_id IS NULL AND i.applicant_id = {p}"
            ));
        }
        None => sql.push_str(
            " AND EXISTS (SELECT 1 FROM payments p WHERE p.application_id = i.application_id \
             AND p.status = 'paid')",
        ),
    }
    if !filter.statuses.is_empty() {
        let ps: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| param(&mut binds, s.as_str().to_owned()))
            .collect();
        sql.push_str(&format!(" AND i.status IN ({})", ps.join(", ")));
    }
    let search = filter.search.as_str();
    if !search.is_empty() {
        let exact = param(&mut binds, search.to_owned());
        let escaped: String = search
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let like = param(&mut binds, format!("%{escaped}%"));
        sql.push_str(&format!(
            " AND (a.order_number = {exact} OR i.buyer_name LIKE {like} ESCAPE '\\')"
        ));
    }
    sql.push_str(if filter.owner.is_some() {
        " ORDER BY i.requested_at DESC, i.application_id"
    } else {
        " ORDER BY i.requested_at, i.application_id"
    });
    sql.push_str(&format!(" LIMIT ${}", binds.len() + 1));
    let mut q = sqlx::query_as::<_, ListedRow>(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    let rows = q.bind(filter.limit).fetch_all(conn).await?;
    rows.into_iter().map(ListedInvoice::try_from).collect()
}
