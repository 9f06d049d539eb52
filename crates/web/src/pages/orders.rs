//! 新增申请, 订单管理 and the order page: what an applicant does with an application,
//! and the reviewer's decision on the same page (审核).

use app::applications::{
    self, ApplicationInput, ApplicationView, ListQuery, ListView, ReviewDecision, ReviewInput,
    ServicePointView, StartInput, SubmitInput,
};
use app::{Actor, FieldErrors};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::application::{CertType, Channel, Kind};
use domain::ids::{ApplicationId, DocumentId};
use serde::Deserialize;

use super::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, ok, render};
use crate::AppState;
use crate::csrf::{CsrfForm, CsrfMultipart};
use crate::error::{PageError, message};
use crate::visitor::Visitor;

/// Prefix of the file inputs on the form: `file_<document kind>`.
const FILE_PREFIX: &str = "file_";

/// A yuan amount from fen, as the pages show money.
pub fn yuan(fen: i64) -> String {
    domain::Fen(fen).yuan_string()
}

pub(super) fn parse_id(visitor: &Visitor, id: &str) -> Result<ApplicationId, PageError> {
    ApplicationId::parse(id).map_err(|_| PageError::not_found(visitor.lang))
}

// ---------------------------------------------------------------------------
// 订单管理

pub struct Row {
    pub id: String,
    pub order_number: String,
    pub kind: String,
    pub cert_type: String,
    pub channel: String,
    pub delivery: String,
    pub status: String,
    pub status_code: &'static str,
    pub payment: String,
    pub quantity: u32,
    pub amount: String,
    pub organisation: String,
    pub credit_code: String,
    pub applicant: String,
    pub created: String,
    pub waiting_since: String,
    pub due_on: String,
    pub overdue: bool,
}

pub fn rows(page: &Page, list: &ListView) -> Vec<Row> {
    list.items
        .iter()
        .map(|s| Row {
            id: s.id.to_text(),
            order_number: s.order_number.clone(),
            kind: page.label("kind", s.kind.as_str()),
            cert_type: page.label("cert_type", s.cert_type.as_str()),
            channel: page.label("channel", s.channel.as_str()),
            delivery: page.label("delivery", s.delivery.as_str()),
            status: page.label("status", s.status.as_str()),
            status_code: s.status.as_str(),
            payment: page
                .tr(if s.paid {
                    "paid.yes"
                } else if s.amount == 0 && s.status != domain::application::Status::Draft {
                    "paid.free"
                } else {
                    "paid.no"
                })
                .to_owned(),
            quantity: s.quantity,
            amount: yuan(s.amount),
            organisation: s.organisation_name.clone().unwrap_or_default(),
            credit_code: s.credit_code.clone().unwrap_or_default(),
            applicant: s.applicant_name.clone(),
            created: local_date(s.created_at),
            waiting_since: local_date(s.waiting_since),
            due_on: s.due_on.clone().unwrap_or_default(),
            overdue: s.overdue,
        })
        .collect()
}

/// Links to the neighbouring pages of a list, keeping its filters.
pub fn page_links(
    base: &str,
    query: &ListQuery,
    list: &ListView,
) -> (Option<String>, Option<String>) {
    let link = |p: u32| {
        let mut q = query.clone();
        q.page = Some(p);
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    (
        (list.page > 1).then(|| link(list.page - 1)),
        (list.page < list.pages).then(|| link(list.page + 1)),
    )
}

/// A list to show, or, when a filter was refused, an empty one with the reasons beside
/// the filters (订单管理 and 代办事宜 alike); any other error is the caller's to show.
pub fn listed(
    visitor: &Visitor,
    result: Result<ListView, app::Error>,
) -> Result<(ListView, Errors), app::Error> {
    match result {
        Ok(list) => Ok((list, Errors::default())),
        Err(app::Error::Invalid(fields)) => Ok((
            ListView {
                items: Vec::new(),
                total: 0,
                page: 1,
                pages: 1,
            },
            Errors::new(visitor.lang, &fields),
        )),
        Err(e) => Err(e),
    }
}

pub fn page_summary(page: &Page, list: &ListView) -> String {
    page.tr("orders.page")
        .replace("{page}", &list.page.to_string())
        .replace("{pages}", &list.pages.max(1).to_string())
        .replace("{total}", &list.total.to_string())
}

#[derive(Template)]
#[template(path = "orders.html")]
struct List {
    page: Page,
    query: ListQuery,
    rows: Vec<Row>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
    errors: Errors,
    can_apply: bool,
    statuses: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
}

fn options<T: Copy>(
    page: &Page,
    prefix: &str,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Vec<(&'static str, String)> {
    all.iter()
        .map(|v| (code(*v), page.label(prefix, code(*v))))
        .collect()
}

pub fn status_options(page: &Page) -> Vec<(&'static str, String)> {
    options(page, "status", domain::application::Status::ALL, |s| {
        s.as_str()
    })
}

fn kind_options(page: &Page) -> Vec<(&'static str, String)> {
    options(page, "kind", Kind::ALL, |k| k.as_str())
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "orders.title");
    let (list, errors) = match listed(visitor, applications::list(&state.app, actor, &query).await)
    {
        Ok(listed) => listed,
        Err(e) => return app_error(visitor, &e),
    };
    let (prev, next) = page_links("/orders", &query, &list);
    ok(&List {
        rows: rows(&page, &list),
        summary: page_summary(&page, &list),
        statuses: status_options(&page),
        kinds: kind_options(&page),
        can_apply: app::authz::authorize(actor, app::Action::Apply).is_ok(),
        page,
        query,
        prev,
        next,
        errors,
    })
}

// ---------------------------------------------------------------------------
// 新增申请: choose, read the terms, agree.

#[derive(Template)]
#[template(path = "order_start.html")]
struct Start {
    page: Page,
    form: StartInput,
    errors: Errors,
    kinds: Vec<(&'static str, String)>,
    cert_types: Vec<(&'static str, String)>,
    channels: Vec<(&'static str, String)>,
}

fn start_page(visitor: &Visitor, actor: &Actor, form: StartInput, errors: Errors) -> Start {
    let page = Page::new(visitor, "start.title");
    let open = CertType::open_to(actor.organisation().is_some());
    Start {
        kinds: kind_options(&page),
        cert_types: options(&page, "cert_type", open, |t| t.as_str()),
        channels: options(&page, "channel", Channel::ALL, |c| c.as_str()),
        page,
        form,
        errors,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartQuery {
    kind: String,
    cert_type: String,
    channel: String,
    /// 证书管理: the serial of the certificate the application is started from.
    certificate: String,
}

pub async fn start_form(signed_in: SignedIn, Query(q): Query<StartQuery>) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    if let Err(e) = app::authz::authorize(actor, app::Action::Apply) {
        return app_error(visitor, &e);
    }
    let form = StartInput {
        certificate: q.certificate,
        kind: if q.kind.is_empty() {
            "new".into()
        } else {
            q.kind
        },
        cert_type: q.cert_type,
        channel: if q.channel.is_empty() {
            "online".into()
        } else {
            q.channel
        },
        agree_terms: String::new(),
    };
    ok(&start_page(visitor, actor, form, Errors::default()))
}

pub async fn start_submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(form): CsrfForm<StartInput>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match applications::start(&state.app, actor, &form).await {
        Ok(id) => Redirect::to(&format!("/orders/{}/edit", id.to_text())).into_response(),
        Err(app::Error::Invalid(fields)) => {
            let errors = Errors::new(visitor.lang, &fields);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &start_page(visitor, actor, form, errors),
            )
        }
        Err(e) => app_error(visitor, &e),
    }
}

// ---------------------------------------------------------------------------
// The form: 修改保存 and 提交信息, with the 电子件 in the same form.

pub struct DocumentRow {
    pub kind: String,
    pub label: String,
    pub required: bool,
    pub uploaded: Option<(String, String)>,
}

/// The order's 电子件: each required or optional document, and what was uploaded for it.
fn document_rows(page: &Page, order: &ApplicationView) -> Vec<DocumentRow> {
    order
        .requirements
        .iter()
        .map(|r| DocumentRow {
            kind: r.document_kind.clone(),
            label: page.label("doc", &r.document_kind),
            required: r.required,
            uploaded: r
                .uploaded
                .as_ref()
                .map(|d| (d.id.to_text(), d.file_name.clone())),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "order_edit.html")]
struct Edit {
    page: Page,
    order: ApplicationView,
    kind: String,
    cert_type: String,
    channel: String,
    form: ApplicationInput,
    acknowledge: bool,
    version: i64,
    errors: Errors,
    /// A refusal that belongs to no field (a stale page).
    problem: Option<String>,
    documents: Vec<DocumentRow>,
    deliveries: Vec<(&'static str, String)>,
    points: Vec<ServicePointView>,
    has_years: bool,
    needs_serial: bool,
    templates: Vec<(&'static str, &'static str)>,
}

impl Edit {
    fn build(
        page: Page,
        order: ApplicationView,
        form: ApplicationInput,
        points: Vec<ServicePointView>,
    ) -> Edit {
        let documents = document_rows(&page, &order);
        let deliveries = order
            .channel
            .deliveries()
            .iter()
            .filter(|d| **d != domain::application::Delivery::Download)
            .map(|d| (d.as_str(), page.label("delivery", d.as_str())))
            .collect();
        let mut templates = Vec::new();
        if order.organisation_id.is_some() {
            templates.push(("power_of_attorney", "doc.power_of_attorney"));
            templates.push(("application_form", "doc.application_form"));
        }
        if order.kind == Kind::Replace {
            templates.push(("statement", "doc.statement"));
        }
        Edit {
            kind: page.label("kind", order.kind.as_str()),
            cert_type: page.label("cert_type", order.cert_type.as_str()),
            channel: page.label("channel", order.channel.as_str()),
            has_years: order.kind.has_years(),
            needs_serial: order.kind != Kind::New,
            version: order.version,
            acknowledge: false,
            errors: Errors::default(),
            problem: None,
            documents,
            deliveries,
            points,
            templates,
            page,
            order,
            form,
        }
    }
}

async fn edit_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: ApplicationId,
) -> Result<Edit, app::Error> {
    let SignedIn { actor, visitor } = signed_in;
    let order = applications::view(&state.app, actor, id).await?;
    app::authz::authorize(actor, app::Action::Apply)?;
    let points = applications::service_points(&state.app, actor).await?;
    let form = order.form.clone();
    Ok(Edit::build(
        Page::new(visitor, "form.title"),
        order,
        form,
        points,
    ))
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match edit_page(&state, &signed_in, id).await {
        Ok(edit) if !edit.order.actions.contains(&"edit") => {
            Redirect::to(&format!("/orders/{}", id.to_text())).into_response()
        }
        Ok(mut edit) => {
            edit.page = edit.page.with_notice(q.notice.as_deref());
            ok(&edit)
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn edit_submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: CsrfMultipart,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let SignedIn { actor, visitor } = &signed_in;
    let Ok(input) = form.form::<ApplicationInput>() else {
        return PageError::bad_request(visitor.lang).into_response();
    };
    let acknowledge = form.text("acknowledge").to_owned();
    let version = form.text("version").trim().parse::<i64>().ok();
    let submitting = form.text("intent") == "submit";

    // The files first: each is checked on its own, and a refused one stores nothing.
    let mut errors = FieldErrors::new();
    let mut uploaded = 0;
    for file in &form.files {
        let Some(kind) = file.field.strip_prefix(FILE_PREFIX) else {
            continue;
        };
        match applications::upload_document(
            &state.app,
            actor,
            id,
            kind,
            &file.file_name,
            &file.content,
        )
        .await
        {
            Ok(_) => uploaded += 1,
            Err(app::Error::Invalid(fields)) => errors.extend(fields),
            Err(e) => return app_error(visitor, &e),
        }
    }
    let outcome = if submitting && errors.is_empty() {
        applications::submit(
            &state.app,
            actor,
            id,
            &SubmitInput {
                form: input.clone(),
                acknowledge: acknowledge.clone(),
                version,
            },
        )
        .await
    } else {
        applications::save(&state.app, actor, id, &input, version).await
    };
    let mut problem = None;
    match outcome {
        Ok(()) if errors.is_empty() => {
            let to = if submitting {
                format!("/orders/{}?notice=notice.order_submitted", id.to_text())
            } else if uploaded > 0 {
                format!("/orders/{}/edit?notice=notice.uploaded", id.to_text())
            } else {
                format!("/orders/{}/edit?notice=notice.order_saved", id.to_text())
            };
            return Redirect::to(&to).into_response();
        }
        Ok(()) => {}
        Err(app::Error::Invalid(fields)) => errors.extend(fields),
        Err(e @ app::Error::Refused(_)) => problem = Some(message(visitor.lang, &e)),
        Err(e) => return app_error(visitor, &e),
    }
    // Shown again with everything as typed, and the version now current.
    match edit_page(&state, &signed_in, id).await {
        Ok(mut edit) => {
            edit.form = input;
            edit.acknowledge = applications::ticked(&acknowledge);
            edit.errors = Errors::new(visitor.lang, &errors);
            edit.problem = problem;
            if edit.problem.is_none() && !errors.is_empty() {
                edit.problem = Some(edit.page.tr("form.fix").to_owned());
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &edit)
        }
        Err(e) => app_error(visitor, &e),
    }
}

// ---------------------------------------------------------------------------
// The order page.

pub struct StepRow {
    pub label: String,
    pub state: &'static str,
}

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub status: String,
    pub comment: String,
}

pub struct FieldRow {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "order.html")]
pub(super) struct Show {
    page: Page,
    order: ApplicationView,
    id: String,
    kind: String,
    cert_type: String,
    channel: String,
    delivery: String,
    status: String,
    steps: Vec<StepRow>,
    history: Vec<EventRow>,
    fields: Vec<FieldRow>,
    documents: Vec<DocumentRow>,
    payment_status: String,
    can: Vec<&'static str>,
    review: ReviewForm,
    review_errors: Errors,
    review_problem: Option<String>,
    /// The review waits at 终审 (paper materials) or at 补办's 初审 (overdue fee).
    final_stage: bool,
    sets_fee: bool,
    total: String,
    pay_amount: String,
    /// When the open code can no longer be paid (Asia/Shanghai).
    pay_expires: Option<String>,
    refunds: Vec<RefundRow>,
    breakdown: Option<Breakdown>,
    /// 制证, 发货 and 领取 as typed, and what was wrong with them.
    pub(super) production: super::production::ProductionForm,
    pub(super) production_errors: Errors,
    pub(super) production_problem: Option<String>,
    certificates: Vec<super::production::CertificateRow>,
}

/// A refund of this order, as the applicant reads it.
pub struct RefundRow {
    pub refund_no: String,
    pub amount: String,
    pub status_code: String,
    pub status: String,
    pub updated: String,
}

/// The amount's parts, in yuan.
pub struct Breakdown {
    pub quantity: u32,
    pub years: u32,
    pub unit_price: String,
    pub certificates: String,
    pub shipping: Option<String>,
    pub overdue: Option<String>,
}

impl Show {
    fn has(&self, action: &str) -> bool {
        self.can.contains(&action)
    }
}

pub(super) fn show_page(page: Page, order: ApplicationView) -> Show {
    let steps = order
        .steps
        .iter()
        .map(|s| StepRow {
            label: page.label("step", &s.code),
            state: s.state,
        })
        .collect();
    let history = order
        .history
        .iter()
        .map(|e| EventRow {
            at: local_date(e.at),
            who: e.actor_name.clone(),
            what: page.label("transition", e.transition.as_str()),
            status: page.label("status", e.to_status.as_str()),
            comment: e.comment.clone(),
        })
        .collect();
    let f = &order.form;
    let mut fields = vec![
        FieldRow {
            label: "field.handler_name",
            value: f.handler_name.clone(),
        },
        FieldRow {
            label: "field.handler_id_number",
            value: mask_id(&f.handler_id_number),
        },
        FieldRow {
            label: "field.handler_mobile",
            value: f.handler_mobile.clone(),
        },
        FieldRow {
            label: "field.handler_email",
            value: f.handler_email.clone(),
        },
        FieldRow {
            label: "field.quantity",
            value: order.quantity.to_string(),
        },
    ];
    if order.kind.has_years() {
        fields.push(FieldRow {
            label: "field.years",
            value: order.years.to_string(),
        });
    }
    let mut push = |label, value: &str| {
        if !value.trim().is_empty() {
            fields.push(FieldRow {
                label,
                value: value.to_owned(),
            });
        }
    };
    push("field.mail_address", &f.mail_address);
    push("field.mail_recipient", &f.mail_recipient);
    push("field.mail_phone", &f.mail_phone);
    push("field.certificate_serial", &f.certificate_serial);
    push("field.replace_reason", &f.replace_reason);
    if !f.replace_cause.trim().is_empty() {
        push(
            "field.replace_cause",
            &page.label("replace_cause", f.replace_cause.trim()),
        );
    }
    push("field.change_details", &f.change_details);
    let documents = document_rows(&page, &order);
    let stage = order
        .steps
        .iter()
        .find(|s| s.state == "current")
        .map(|s| s.code.clone())
        .unwrap_or_default();
    let breakdown = order.quote.map(|q| Breakdown {
        quantity: q.quantity,
        years: q.years,
        unit_price: q.unit_price.yuan_string(),
        certificates: q.certificates.yuan_string(),
        shipping: (q.shipping.0 > 0).then(|| q.shipping.yuan_string()),
        overdue: (q.overdue.0 > 0 || order.overdue_months.is_some())
            .then(|| q.overdue.yuan_string()),
    });
    Show {
        total: yuan(order.amount),
        pay_amount: order
            .payment
            .as_ref()
            .map(|p| yuan(p.amount))
            .unwrap_or_default(),
        pay_expires: order
            .payment
            .as_ref()
            .and_then(|p| p.expires_at)
            .map(local_date),
        refunds: order
            .refunds
            .iter()
            .map(|r| RefundRow {
                refund_no: r.refund_no.clone(),
                amount: yuan(r.amount),
                status_code: r.status.clone(),
                status: page.label("refund_status", &r.status),
                updated: local_date(r.updated_at),
            })
            .collect(),
        breakdown,
        id: order.id.to_text(),
        kind: page.label("kind", order.kind.as_str()),
        cert_type: page.label("cert_type", order.cert_type.as_str()),
        channel: page.label("channel", order.channel.as_str()),
        delivery: page.label("delivery", order.delivery.as_str()),
        status: page.label("status", order.status.as_str()),
        payment_status: order
            .payment
            .as_ref()
            .map(|p| page.label("payment_status", &p.status))
            .unwrap_or_default(),
        can: order.actions.clone(),
        final_stage: stage.starts_with("review:final"),
        sets_fee: order.kind == Kind::Replace && stage.starts_with("review:first"),
        review: ReviewForm {
            version: Some(order.version),
            ..ReviewForm::default()
        },
        review_errors: Errors::default(),
        review_problem: None,
        production: super::production::ProductionForm {
            version: Some(order.version),
            ..Default::default()
        },
        production_errors: Errors::default(),
        production_problem: None,
        certificates: super::production::certificate_rows(&page, &order),
        steps,
        history,
        fields,
        documents,
        page,
        order,
    }
}

/// 身份证号码 shown with its middle hidden, as on the guides' screens.
fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() < 8 {
        return s.trim().to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match applications::view(&state.app, actor, id).await {
        Ok(order) => ok(&show_page(
            Page::new(visitor, "order.title").with_notice(q.notice.as_deref()),
            order,
        )),
        Err(e) => app_error(visitor, &e),
    }
}

/// What the page polls while it waits for a payment or a decision.
#[derive(serde::Serialize)]
struct StatusJson {
    status: &'static str,
    version: i64,
    paid: bool,
}

pub async fn status(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match applications::view(&state.app, actor, id).await {
        Ok(order) => {
            let mut r = Json(StatusJson {
                status: order.status.as_str(),
                version: order.version,
                paid: order.paid,
            })
            .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => crate::error::ApiError::new(visitor.lang, e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Plain {}

pub(super) fn back(id: ApplicationId, notice: &str) -> Response {
    Redirect::to(&format!("/orders/{}?notice={notice}", id.to_text())).into_response()
}

/// A refused action is shown on the order page, which is reloaded as it now is.
pub(super) async fn refused_on_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: ApplicationId,
    e: &app::Error,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    match e {
        app::Error::Refused(_) | app::Error::Invalid(_) => {
            match applications::view(&state.app, actor, id).await {
                Ok(order) => {
                    let mut show = show_page(Page::new(visitor, "order.title"), order);
                    show.review_problem = Some(message(visitor.lang, e));
                    render(StatusCode::CONFLICT, &show)
                }
                Err(e) => app_error(visitor, &e),
            }
        }
        _ => app_error(visitor, e),
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Plain>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match applications::withdraw(&state.app, &signed_in.actor, id).await {
        Ok(()) => back(id, "notice.order_withdrawn"),
        Err(e) => refused_on_page(&state, &signed_in, id, &e).await,
    }
}

/// 网上支付, with the provider the payer chose (微信支付 / 支付宝); none keeps the open
/// code's provider, or the default.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PayForm {
    pub provider: String,
}

pub async fn pay(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<PayForm>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let provider = Some(form.provider.as_str()).filter(|p| !p.is_empty());
    match app::payments::pay(&state.app, &signed_in.actor, id, provider).await {
        Ok(_) => Redirect::to(&format!("/orders/{}#pay", id.to_text())).into_response(),
        Err(e) => refused_on_page(&state, &signed_in, id, &e).await,
    }
}

/// 刷新支付状态: asks the provider now.
pub async fn refresh_payment(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Plain>,
) -> Response {
    let id = match parse_id(&signed_in.visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match app::payments::refresh(&state.app, &signed_in.actor, id).await {
        Ok(Some(p)) if p.status == "paid" => back(id, "notice.payment_done"),
        Ok(_) => back(id, "notice.payment_pending"),
        Err(e) => refused_on_page(&state, &signed_in, id, &e).await,
    }
}

/// 审核: 通过, 退回 or 拒绝, from the order page.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReviewForm {
    pub decision: String,
    pub comment: String,
    pub paper_received: String,
    pub overdue_months: String,
    pub overdue_fee: String,
    pub version: Option<i64>,
}

pub async fn review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let decision = match form.decision.as_str() {
        "approve" => ReviewDecision::Approve,
        "return" => ReviewDecision::Return,
        "reject" => ReviewDecision::Reject,
        _ => return PageError::bad_request(visitor.lang).into_response(),
    };
    let input = ReviewInput {
        comment: form.comment.clone(),
        paper_received: form.paper_received.clone(),
        overdue_months: form.overdue_months.clone(),
        overdue_fee: form.overdue_fee.clone(),
        version: form.version,
    };
    match applications::review(&state.app, actor, id, decision, &input).await {
        Ok(()) => Redirect::to("/queue?notice=notice.reviewed").into_response(),
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_))) => {
            match applications::view(&state.app, actor, id).await {
                Ok(order) => {
                    let mut show = show_page(Page::new(visitor, "order.title"), order);
                    let version = show.review.version;
                    show.review = ReviewForm { version, ..form };
                    match &e {
                        app::Error::Invalid(fields) => {
                            show.review_errors = Errors::new(visitor.lang, fields);
                        }
                        _ => show.review_problem = Some(message(visitor.lang, &e)),
                    }
                    render(StatusCode::UNPROCESSABLE_ENTITY, &show)
                }
                Err(e) => app_error(visitor, &e),
            }
        }
        Err(e) => app_error(visitor, &e),
    }
}

// ---------------------------------------------------------------------------
// Files: uploaded documents and the prefilled templates.

/// `Content-Disposition` with the name in RFC 5987 form, so Chinese names survive.
pub fn disposition(kind: &str, file_name: &str) -> HeaderValue {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DownloadQuery {
    download: Option<String>,
}

pub async fn document(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, doc)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let (Ok(id), Ok(doc)) = (ApplicationId::parse(&id), DocumentId::parse(&doc)) else {
        return PageError::not_found(visitor.lang).into_response();
    };
    match applications::download_document(&state.app, actor, id, doc).await {
        Ok(file) => {
            let kind = if q.download.is_some() {
                "attachment"
            } else {
                "inline"
            };
            let mut r = file.content.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                disposition(kind, &file.file_name),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            // An uploaded PDF previewed inline runs no script and reaches nothing.
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
                ),
            );
            r
        }
        Err(e) => app_error(visitor, &e),
    }
}

pub async fn template(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let id = match parse_id(visitor, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match applications::render_template(&state.app, actor, id, &name).await {
        Ok(file) => {
            let mut r = file.content.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                disposition("attachment", file.file_name),
            );
            r
        }
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_))) => {
            back_to_edit_with(&state, &signed_in, id, &e).await
        }
        Err(e) => app_error(visitor, &e),
    }
}

/// A template that cannot be filled yet (情况说明书 before a reason): the form says why.
async fn back_to_edit_with(
    state: &AppState,
    signed_in: &SignedIn,
    id: ApplicationId,
    e: &app::Error,
) -> Response {
    let visitor = &signed_in.visitor;
    match edit_page(state, signed_in, id).await {
        Ok(mut edit) => {
            if let app::Error::Invalid(fields) = e {
                edit.errors = Errors::new(visitor.lang, fields);
            }
            edit.problem = Some(message(visitor.lang, e));
            render(StatusCode::UNPROCESSABLE_ENTITY, &edit)
        }
        Err(e) => app_error(visitor, &e),
    }
}
