//! The front page, the stylesheet and the language switch.

use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Page, ok};
use crate::i18n::Lang;
use crate::visitor::{LANG_COOKIE, Visitor, set_cookie};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
}

pub async fn show(visitor: Visitor) -> Response {
    if visitor.actor().is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    ok(&Home {
        page: Page::new(&visitor, "home.title"),
    })
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
}

/// Sets the language cookie and goes back where the visitor came from (same site only).
pub async fn switch_language(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::from_code(&code).unwrap_or_default();
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            // Only a path on this site: never redirect elsewhere.
            let path = r
                .split_once("://")
                .map_or(r, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
            (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_owned())
        })
        .unwrap_or_else(|| "/".to_owned());
    let mut r = Redirect::to(&back).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365, false, false),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
