//! 个人令牌 (personal API tokens), 绑定CA (certificates bound to one's account), and
//! 证书登录 / CA登录 on the sign-in page.

use app::accounts::{
    self, ApiTokenView, BindingView, LoginOutcome, NewTokenInput, StartedChallenge,
};
use app::authz::Scope;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Errors, NoticeQuery, Page, SignedIn, app_error, local_date, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::message;
use crate::visitor::{SESSION_COOKIE, Visitor, cookie};

/// The cookie holding a certificate login's secret while the tool signs its code.
const LOGIN_COOKIE: &str = "certdesk_certlogin";

/// The server's address as the browser reached it, for the commands shown to copy.
fn server_url(headers: &HeaderMap, visitor: &Visitor) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if visitor.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// A token as a row of the table.
struct TokenRow {
    view: ApiTokenView,
    scopes: String,
    created_at: String,
    expires_at: String,
    last_used_at: String,
}

/// 新建令牌 as the form sends it: one checkbox per scope.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    days: String,
    scope_certificates: Option<String>,
    scope_production: Option<String>,
    scope_applications: Option<String>,
    scope_binding: Option<String>,
}

impl TokenForm {
    fn checked(&self, scope: &str) -> bool {
        match scope {
            "certificates" => self.scope_certificates.is_some(),
            "production" => self.scope_production.is_some(),
            "applications" => self.scope_applications.is_some(),
            "binding" => self.scope_binding.is_some(),
            _ => false,
        }
    }

    fn input(&self) -> NewTokenInput {
        NewTokenInput {
            name: self.name.clone(),
            days: self.days.clone(),
            scopes: Scope::ALL
                .iter()
                .map(|s| s.as_str())
                .filter(|s| self.checked(s))
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct Tokens {
    page: Page,
    rows: Vec<TokenRow>,
    scopes: Vec<&'static str>,
    form: TokenForm,
    errors: Errors,
    /// A token just made, shown this once.
    created: Option<String>,
    server: String,
}

/// What the tokens page shows besides the list: the form as typed, its errors, a token
/// just made.
#[derive(Default)]
struct TokenFormState {
    form: TokenForm,
    errors: Errors,
    created: Option<String>,
}

impl TokenFormState {
    fn fresh(created: Option<String>) -> TokenFormState {
        TokenFormState {
            form: TokenForm {
                days: accounts::DEFAULT_DAYS.to_string(),
                ..TokenForm::default()
            },
            errors: Errors::default(),
            created,
        }
    }
}

async fn tokens_page(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    shown: TokenFormState,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let TokenFormState {
        form,
        errors,
        created,
    } = shown;
    let SignedIn { actor, visitor } = signed_in;
    let list = match accounts::list_tokens(&state.app, actor).await {
        Ok(l) => l,
        Err(e) => return app_error(visitor, &e),
    };
    let page = Page::new(visitor, "tokens.title").with_notice(notice);
    let rows = list
        .into_iter()
        .map(|v| TokenRow {
            scopes: v
                .scopes
                .iter()
                .map(|s| page.tr(scope_key(*s)))
                .collect::<Vec<_>>()
                .join("、"),
            created_at: local_date(v.created_at),
            expires_at: local_date(v.expires_at),
            last_used_at: v.last_used_at.map(local_date).unwrap_or_default(),
            view: v,
        })
        .collect();
    render(
        status,
        &Tokens {
            page,
            rows,
            scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            form,
            errors,
            created,
            server: server_url(headers, visitor),
        },
    )
}

fn scope_key(s: Scope) -> &'static str {
    match s {
        Scope::Certificates => "tokens.scope.certificates",
        Scope::Production => "tokens.scope.production",
        Scope::Applications => "tokens.scope.applications",
        Scope::Binding => "tokens.scope.binding",
    }
}

pub async fn tokens(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    tokens_page(
        &state,
        &signed_in,
        &headers,
        TokenFormState::fresh(None),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_token(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Response {
    match accounts::create_token(&state.app, &signed_in.actor, &form.input()).await {
        Ok(t) => {
            tokens_page(
                &state,
                &signed_in,
                &headers,
                TokenFormState::fresh(Some(t.token)),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(app::Error::Invalid(fields)) => {
            let shown = TokenFormState {
                errors: Errors::new(signed_in.visitor.lang, &fields),
                form,
                created: None,
            };
            tokens_page(
                &state,
                &signed_in,
                &headers,
                shown,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<IgnoredAny>,
) -> Response {
    let Ok(id) = id.parse() else {
        return app_error(&signed_in.visitor, &app::Error::NotFound);
    };
    match accounts::revoke_token(&state.app, &signed_in.actor, id).await {
        Ok(()) => Redirect::to("/account/tokens?notice=notice.token_revoked").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

struct BindingRow {
    view: BindingView,
    bound_at: String,
    not_after: String,
}

#[derive(Template)]
#[template(path = "account_bindings.html")]
struct Bindings {
    page: Page,
    rows: Vec<BindingRow>,
    /// A bind challenge just asked for: its code and the command to run.
    challenge: Option<StartedChallenge>,
    server: String,
}

async fn bindings_page(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    challenge: Option<StartedChallenge>,
    notice: Option<&str>,
) -> Response {
    let SignedIn { actor, visitor } = signed_in;
    let list = match accounts::bindings(&state.app, actor).await {
        Ok(l) => l,
        Err(e) => return app_error(visitor, &e),
    };
    ok(&Bindings {
        page: Page::new(visitor, "bindings.title").with_notice(notice),
        rows: list
            .into_iter()
            .map(|v| BindingRow {
                bound_at: local_date(v.bound_at),
                not_after: local_date(v.not_after),
                view: v,
            })
            .collect(),
        challenge,
        server: server_url(headers, visitor),
    })
}

pub async fn bindings(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    bindings_page(&state, &signed_in, &headers, None, q.notice.as_deref()).await
}

pub async fn start_binding(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<IgnoredAny>,
) -> Response {
    match accounts::start_binding(&state.app, &signed_in.actor).await {
        Ok(c) => bindings_page(&state, &signed_in, &headers, Some(c), None).await,
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

pub async fn unbind(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<IgnoredAny>,
) -> Response {
    let Ok(id) = id.parse() else {
        return app_error(&signed_in.visitor, &app::Error::NotFound);
    };
    match accounts::unbind(&state.app, &signed_in.actor, id).await {
        Ok(()) => Redirect::to("/account/certificates?notice=notice.unbound").into_response(),
        Err(e) => app_error(&signed_in.visitor, &e),
    }
}

#[derive(Template)]
#[template(path = "signin_certificate.html")]
struct CertificateSignIn {
    page: Page,
    code: String,
    expires_at: String,
    server: String,
    /// Why the last try did not sign in (not signed yet, revoked, not bound, …).
    form_error: Option<String>,
}

/// CA登录: a new code for the tool to sign, its secret in a cookie for this browser.
pub async fn certificate_form(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    if visitor.actor().is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    let c = match accounts::start_login(&state.app).await {
        Ok(c) => c,
        Err(e) => return app_error(&visitor, &e),
    };
    let mut r = ok(&CertificateSignIn {
        page: Page::new(&visitor, "certlogin.title"),
        code: c.code,
        expires_at: local_date(c.expires_at),
        server: server_url(&headers, &visitor),
        form_error: None,
    });
    r.headers_mut().append(
        header::SET_COOKIE,
        visitor.cookie(LOGIN_COOKIE, &c.secret, accounts::CHALLENGE_TTL.as_secs()),
    );
    r
}

/// 完成登录: signs in once the tool has signed this browser's code.
pub async fn certificate_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<IgnoredAny>,
) -> Response {
    let Some(secret) = cookie(&headers, LOGIN_COOKIE).map(str::to_owned) else {
        return Redirect::to("/signin/certificate").into_response();
    };
    let again = |code: String, expires_at: String, error: String| {
        render(
            StatusCode::CONFLICT,
            &CertificateSignIn {
                page: Page::new(&visitor, "certlogin.title"),
                code,
                expires_at,
                server: server_url(&headers, &visitor),
                form_error: Some(error),
            },
        )
    };
    match accounts::finish_login(&state.app, &secret).await {
        Ok(LoginOutcome::SignedIn(session)) => {
            let mut r = Redirect::to("/dashboard").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                visitor.cookie(
                    SESSION_COOKIE,
                    &session.token,
                    accounts::SESSION_TTL.as_secs(),
                ),
            );
            r.headers_mut()
                .append(header::SET_COOKIE, visitor.cookie(LOGIN_COOKIE, "", 0));
            r
        }
        Ok(LoginOutcome::Waiting { code, expires_at }) => again(
            code,
            local_date(expires_at),
            Page::new(&visitor, "certlogin.title")
                .tr("certlogin.waiting")
                .to_owned(),
        ),
        // Expired, used, revoked meanwhile, not bound: say why, with a fresh code.
        Err(e @ app::Error::Refused(_)) => {
            let error = message(visitor.lang, &e);
            match accounts::start_login(&state.app).await {
                Ok(c) => {
                    let mut r = again(c.code, local_date(c.expires_at), error);
                    r.headers_mut().append(
                        header::SET_COOKIE,
                        visitor.cookie(LOGIN_COOKIE, &c.secret, accounts::CHALLENGE_TTL.as_secs()),
                    );
                    r
                }
                Err(e) => app_error(&visitor, &e),
            }
        }
        Err(e) => app_error(&visitor, &e),
    }
}
