//! Who is asking: resolved once per request by the [`load`] middleware, from the
//! session cookie (pages) or a bearer token (API), with the language and the
//! anonymous CSRF token. Handlers take it from the request extensions.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::AppState;
use crate::error::PageError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "cd_session";
pub const CSRF_COOKIE: &str = "cd_csrf";
pub const LANG_COOKIE: &str = "cd_lang";

#[derive(Clone)]
pub struct Visitor {
    pub session: Option<app::accounts::Session>,
    /// The session token, when the visitor presented one (cookie or bearer).
    pub token: Option<String>,
    /// Authenticated by `Authorization: Bearer`, not by cookie: no CSRF check needed.
    pub bearer: bool,
    pub lang: Lang,
    /// The double-submit token for forms shown before signing in.
    pub anon_csrf: String,
    /// Served over https (configured public URL, or `X-Forwarded-Proto: https` from the
    /// reverse proxy): cookies are marked `Secure`.
    pub https: bool,
    /// Unread notifications, for the header of pages. Counted once per request, for
    /// signed-in people on pages only (not the API or static files).
    pub unread: Option<u64>,
}

impl Visitor {
    pub fn actor(&self) -> Option<&app::Actor> {
        self.session.as_ref().map(|s| &s.actor)
    }

    /// A `Set-Cookie` value for this visitor's connection.
    pub fn cookie(&self, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
        set_cookie(name, value, max_age_secs, true, self.https)
    }

    /// The token a form must carry back.
    pub fn csrf_token(&self) -> &str {
        self.session
            .as_ref()
            .map_or(self.anon_csrf.as_str(), |s| s.csrf_token.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| PageError::internal("visitor middleware missing"))
    }
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age_secs}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    // Cookie values here are base64url tokens or language codes: always valid header text.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn new_token() -> Result<String, PageError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| PageError::internal(&e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

fn looks_like_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a response to `path` may be a page with the layout's header.
fn shows_header(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/static/") || path == "/healthz")
}

pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let (token, via_bearer) = match bearer(headers) {
        Some(t) => (Some(t.to_owned()), true),
        None => (cookie(headers, SESSION_COOKIE).map(str::to_owned), false),
    };
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_default();
    let existing_csrf = cookie(headers, CSRF_COOKIE)
        .filter(|c| looks_like_token(c))
        .map(str::to_owned);

    let session = match &token {
        // A personal API token (the USB-key tool): as its person, within its scopes.
        Some(t) if via_bearer && app::accounts::is_api_token(t) => {
            match app::accounts::authenticate_token(&state.app, t).await {
                Ok(s) => s,
                Err(e) => return crate::error::internal_response(&state, lang, &e.to_string()),
            }
        }
        Some(t) if looks_like_token(t) => match app::accounts::authenticate(&state.app, t).await {
            Ok(s) => s,
            Err(e) => return crate::error::internal_response(&state, lang, &e.to_string()),
        },
        _ => None,
    };
    let (anon_csrf, fresh_csrf) = match existing_csrf {
        Some(c) => (c, false),
        None => match new_token() {
            Ok(t) => (t, true),
            Err(e) => return e.into_response(),
        },
    };
    let stale_cookie = token.is_some() && session.is_none() && !via_bearer;
    let unread = match &session {
        Some(s) if !via_bearer && shows_header(request.uri().path()) => {
            // A pending password change refuses it: no count then.
            app::notifications::unread_count(&state.app, &s.actor)
                .await
                .ok()
        }
        _ => None,
    };
    let https = state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    request.extensions_mut().insert(Visitor {
        session,
        token,
        bearer: via_bearer,
        lang,
        anon_csrf: anon_csrf.clone(),
        https,
        unread,
    });
    let mut response = next.run(request).await;
    let secure = https;
    // An expired session cookie is cleared, so the browser stops sending it, unless
    // the handler set a new one (a fresh sign-in).
    if stale_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", 0, true, secure),
        );
    }
    if fresh_csrf {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &anon_csrf, 60 * 60 * 24, true, secure),
        );
    }
    response
}
