//! CSRF protection for every state-changing form, in one place: [`CsrfForm`] only
//! yields the form when its `csrf` field matches the session's token (signed in)
//! or the double-submit cookie (not yet signed in). The JSON API instead requires
//! a bearer token, or the `X-CSRF-Token` header when it is called with the cookie.

use axum::extract::{FromRequest, Request};
use axum::http::Method;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::error::PageError;
use crate::visitor::Visitor;

pub struct CsrfForm<T>(pub T);

pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = req
            .extensions()
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| PageError::internal("visitor middleware missing"))?;
        if req.method() != Method::POST {
            return Err(PageError::bad_request(visitor.lang));
        }
        let body = String::from_request(req, state)
            .await
            .map_err(|_| PageError::bad_request(visitor.lang))?;
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_str(&body).map_err(|_| PageError::bad_request(visitor.lang))?;
        let given = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !tokens_match(given, visitor.csrf_token()) {
            tracing::warn!("form refused: CSRF token missing or wrong");
            return Err(PageError::csrf(visitor.lang));
        }
        let form =
            serde_urlencoded::from_str(&body).map_err(|_| PageError::bad_request(visitor.lang))?;
        Ok(CsrfForm(form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tokens_never_match() {
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("a", "b"));
        assert!(tokens_match("abc", "abc"));
    }
}
