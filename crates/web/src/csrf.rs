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

/// One file of a multipart form.
pub struct Upload {
    /// The form field's name.
    pub field: String,
    pub file_name: String,
    pub content: Vec<u8>,
}

/// A `multipart/form-data` form (text fields and files) whose `csrf` field matches, as
/// [`CsrfForm`] checks it. Empty file inputs (nothing chosen) are left out.
pub struct CsrfMultipart {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl CsrfMultipart {
    /// The text fields as a form struct (`serde(default)` structs of strings).
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, serde_urlencoded::de::Error> {
        let encoded = serde_urlencoded::to_string(&self.fields)
            .map_err(|e| serde::de::Error::custom(e.to_string()))?;
        serde_urlencoded::from_str(&encoded)
    }

    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for CsrfMultipart {
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
        let bad = |e: &dyn std::fmt::Display| {
            tracing::debug!(error = %e, "multipart form refused");
            PageError::bad_request(visitor.lang)
        };
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| bad(&e))?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let content = field.bytes().await.map_err(|e| bad(&e))?;
                    if !(file_name.is_empty() && content.is_empty()) {
                        files.push(Upload {
                            field: name,
                            file_name,
                            content: content.to_vec(),
                        });
                    }
                }
                None => fields.push((name, field.text().await.map_err(|e| bad(&e))?)),
            }
        }
        let form = CsrfMultipart { fields, files };
        if !tokens_match(form.text("csrf"), visitor.csrf_token()) {
            tracing::warn!("form refused: CSRF token missing or wrong");
            return Err(PageError::csrf(visitor.lang));
        }
        Ok(form)
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
