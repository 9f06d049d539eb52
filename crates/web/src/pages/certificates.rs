//! 证书管理: the applicant's certificates (list, details, downloads, 新增平台, and the
//! buttons that start 延期 / 补办 / 信息变更 / 注销 / 年检), the staff's certificate search
//! (/admin/certificates) and the certificate profiles for admins (/admin/ca/profiles).

use app::certificates::{
    self, CertificateSummary, CertificateView, DownloadFormat, LinkInput, ListQuery, ListView,
    ProfilesView, SearchQuery,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::application::CertType;

use super::orders::{Plain, disposition};
use super::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::{PageError, message};

/// A certificate as a row of a list, in the page's words.
pub struct Row {
    pub serial: String,
    pub cert_type: String,
    pub holder: String,
    pub organisation: String,
    pub credit_code: String,
    pub issuer: String,
    pub token_serial: String,
    pub valid_from: String,
    pub valid_to: String,
    pub days_left: i64,
    pub status: String,
    pub status_code: &'static str,
    pub platforms: Vec<String>,
    /// (label, link) of what may be started from it.
    pub offers: Vec<(String, String)>,
}

fn start_link(kind: &str, cert_type: CertType, serial: &str) -> String {
    format!(
        "/orders/new?kind={kind}&cert_type={}&certificate={serial}",
        cert_type.as_str()
    )
}

fn row(page: &Page, s: &CertificateSummary) -> Row {
    Row {
        serial: s.serial.clone(),
        cert_type: page.label("cert_type", s.cert_type.as_str()),
        holder: s.holder_name.clone(),
        organisation: s.organisation_name.clone().unwrap_or_default(),
        credit_code: s.credit_code.clone().unwrap_or_default(),
        issuer: s.issuer.clone(),
        token_serial: s.token_serial.clone().unwrap_or_default(),
        valid_from: local_date(s.not_before),
        valid_to: local_date(s.not_after),
        days_left: s.days_left,
        status: page.label("certificate.status", s.status.as_str()),
        status_code: s.status.as_str(),
        platforms: s.platforms.iter().map(|p| p.name.clone()).collect(),
        offers: s
            .offers
            .iter()
            .map(|k| {
                (
                    page.label("kind", k.as_str()),
                    start_link(k.as_str(), s.cert_type, &s.serial),
                )
            })
            .collect(),
    }
}

fn summary_line(page: &Page, list: &ListView) -> String {
    page.tr("orders.page")
        .replace("{page}", &list.page.to_string())
        .replace("{pages}", &list.pages.max(1).to_string())
        .replace("{total}", &list.total.to_string())
}

fn page_links<Q: serde::Serialize + Clone>(
    base: &str,
    query: &Q,
    set_page: fn(&mut Q, u32),
    list: &ListView,
) -> (Option<String>, Option<String>) {
    let link = |p: u32| {
        let mut q = query.clone();
        set_page(&mut q, p);
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

/// (code, label) pairs for a filter's select.
type Options = Vec<(&'static str, String)>;

fn options(page: &Page) -> (Options, Options) {
    let statuses = app::certificates::Standing::ALL
        .iter()
        .map(|s| (s.as_str(), page.label("certificate.status", s.as_str())))
        .collect();
    let types = CertType::ALL
        .iter()
        .map(|t| (t.as_str(), page.label("cert_type", t.as_str())))
        .collect();
    (statuses, types)
}

/// A list, or, when a filter was refused, an empty one with the reasons beside the filters.
fn listed(
    lang: crate::i18n::Lang,
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
            Errors::new(lang, &fields),
        )),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------
// 证书管理

#[derive(Template)]
#[template(path = "certificates.html")]
struct List {
    page: Page,
    query: ListQuery,
    rows: Vec<Row>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
    errors: Errors,
    statuses: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "certificates.title");
    let (list, errors) = match listed(
        visitor.lang,
        certificates::list(&state.app, actor, &query).await,
    ) {
        Ok(l) => l,
        Err(e) => return app_error(visitor, &e),
    };
    let (prev, next) = page_links("/certificates", &query, |q, p| q.page = Some(p), &list);
    let (statuses, types) = options(&page);
    ok(&List {
        rows: list.items.iter().map(|s| row(&page, s)).collect(),
        summary: summary_line(&page, &list),
        page,
        query,
        prev,
        next,
        errors,
        statuses,
        types,
    })
}

// ---------------------------------------------------------------------------
// The details page, with 新增平台.

pub struct LinkedRow {
    pub id: String,
    pub name: String,
    pub linked_at: String,
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct Show {
    page: Page,
    c: CertificateView,
    row: Row,
    revoked_at: String,
    revocation_reason: String,
    linked: Vec<LinkedRow>,
    form: LinkInput,
    errors: Errors,
    problem: Option<String>,
}

fn show_page(page: Page, c: CertificateView) -> Show {
    let row = row(&page, &c.summary);
    let linked = c
        .summary
        .platforms
        .iter()
        .map(|p| LinkedRow {
            id: p.id.to_text(),
            name: p.name.clone(),
            linked_at: local_date(p.linked_at),
        })
        .collect();
    Show {
        row,
        revoked_at: c.revoked_at.map(local_date).unwrap_or_default(),
        revocation_reason: c
            .revocation_reason
            .as_deref()
            .map(|r| page.label("revocation", r))
            .unwrap_or_default(),
        linked,
        form: LinkInput::default(),
        errors: Errors::default(),
        problem: None,
        page,
        c,
    }
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(serial): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match certificates::view(&state.app, actor, &serial).await {
        Ok(c) => ok(&show_page(
            Page::new(visitor, "certificate.title").with_notice(q.notice.as_deref()),
            c,
        )),
        Err(e) => app_error(visitor, &e),
    }
}

/// A refused link or unlink is shown on the details page, as it now is, with what was chosen.
async fn refused(
    state: &AppState,
    signed_in: &SignedIn,
    serial: &str,
    form: LinkInput,
    e: &app::Error,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    match certificates::view(&state.app, actor, serial).await {
        Ok(c) => {
            let mut show = show_page(Page::new(visitor, "certificate.title"), c);
            let status = match e {
                app::Error::Invalid(fields) => {
                    show.errors = Errors::new(visitor.lang, fields);
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => {
                    show.problem = Some(message(visitor.lang, e));
                    StatusCode::CONFLICT
                }
            };
            show.form = form;
            render(status, &show)
        }
        Err(e) => app_error(visitor, &e),
    }
}

fn back(serial: &str, notice: &str) -> Response {
    Redirect::to(&format!("/certificates/{serial}?notice={notice}")).into_response()
}

pub async fn link(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(serial): Path<String>,
    CsrfForm(form): CsrfForm<LinkInput>,
) -> Response {
    match certificates::link_platform(&state.app, &signed_in.actor, &serial, &form).await {
        Ok(()) => back(&serial, "notice.platform_linked"),
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_))) => {
            refused(&state, &signed_in, &serial, form, &e).await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn unlink(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((serial, platform)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Plain>,
) -> Response {
    match certificates::unlink_platform(&state.app, &signed_in.actor, &serial, &platform).await {
        Ok(()) => back(&serial, "notice.platform_unlinked"),
        Err(e @ (app::Error::Invalid(_) | app::Error::Refused(_))) => {
            refused(&state, &signed_in, &serial, LinkInput::default(), &e).await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

/// PEM, DER (`.cer`) or the chain, as an attachment named for the serial.
pub async fn download(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((serial, format)): Path<(String, String)>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let Some(format) = DownloadFormat::parse(&format) else {
        return PageError::not_found(visitor.lang).into_response();
    };
    match certificates::download(&state.app, actor, &serial, format).await {
        Ok(file) => file_response(file),
        Err(e) => app_error(visitor, &e),
    }
}

pub fn file_response(file: app::certificates::Download) -> Response {
    let mut r = file.content.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition("attachment", &file.file_name),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

// ---------------------------------------------------------------------------
// Staff: 证书查询

#[derive(Template)]
#[template(path = "admin_certificates.html")]
struct Search {
    page: Page,
    query: SearchQuery,
    rows: Vec<Row>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
    errors: Errors,
    statuses: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
    profiles: bool,
}

pub async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<SearchQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let page = Page::new(visitor, "certificates.search_title");
    let (list, errors) = match listed(
        visitor.lang,
        certificates::search(&state.app, actor, &query).await,
    ) {
        Ok(l) => l,
        Err(e) => return app_error(visitor, &e),
    };
    let (prev, next) = page_links(
        "/admin/certificates",
        &query,
        |q, p| q.page = Some(p),
        &list,
    );
    let (statuses, types) = options(&page);
    ok(&Search {
        rows: list.items.iter().map(|s| row(&page, s)).collect(),
        summary: summary_line(&page, &list),
        profiles: app::authz::authorize(actor, app::Action::ViewCaProfiles).is_ok(),
        page,
        query,
        prev,
        next,
        errors,
        statuses,
        types,
    })
}

// ---------------------------------------------------------------------------
// Admins: 证书模板 (profiles)

#[derive(Template)]
#[template(path = "admin_profiles.html")]
struct Profiles {
    page: Page,
    view: ProfilesView,
}

pub async fn profiles(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match certificates::profiles(&state.app, actor).await {
        Ok(view) => ok(&Profiles {
            page: Page::new(visitor, "profiles.title"),
            view,
        }),
        Err(e) => app_error(visitor, &e),
    }
}
