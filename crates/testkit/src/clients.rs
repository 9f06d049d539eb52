//! HTTP clients for tests: one speaks the JSON API, one behaves like a browser
//! (cookie jar, forms with their CSRF token).

use reqwest::redirect::Policy;
use serde_json::Value;

use crate::Credentials;

pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl ApiClient {
    pub fn new(base: &str) -> ApiClient {
        ApiClient {
            base: base.to_owned(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    pub fn with_token(mut self, token: &str) -> ApiClient {
        self.token = Some(token.to_owned());
        self
    }

    /// Signs in through `POST /api/v1/sessions` and keeps the bearer token.
    pub async fn signed_in(self, who: &Credentials) -> ApiClient {
        let (status, body) = self
            .post(
                "/api/v1/sessions",
                &serde_json::json!({"mobile": who.mobile, "password": who.password}),
            )
            .await;
        assert_eq!(status, 201, "sign in {}: {body}", who.mobile);
        let token = body["token"].as_str().unwrap().to_owned();
        self.with_token(&token)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        Self::send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        Self::send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        Self::send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// Any method, with a JSON body or none.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = self.request(method, path);
        Self::send(match body {
            Some(b) => r.json(b),
            None => r,
        })
        .await
    }

    /// `PUT` with raw bytes as the body (an upload).
    pub async fn put_bytes(&self, path: &str, content: Vec<u8>) -> (u16, Value) {
        Self::send(
            self.request(reqwest::Method::PUT, path)
                .header("content-type", "application/octet-stream")
                .body(content),
        )
        .await
    }

    /// `POST` with raw bytes as the body (e.g. an invoice PDF) and `content_type`.
    pub async fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        content: Vec<u8>,
    ) -> (u16, Value) {
        Self::send(
            self.request(reqwest::Method::POST, path)
                .header("content-type", content_type)
                .body(content),
        )
        .await
    }

    /// `GET` of a file: status, headers and the bytes as sent.
    pub async fn download(&self, path: &str) -> Download {
        let res = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let content_type = header("content-type");
        let content_disposition = header("content-disposition");
        Download {
            status,
            content_type,
            content_disposition,
            body: res.bytes().await.unwrap().to_vec(),
        }
    }
}

/// A file as the API sent it.
#[derive(Debug)]
pub struct Download {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub body: Vec<u8>,
}

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    /// Where a redirect pointed, if the response was one.
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.html.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.html[start..].find('"').unwrap() + start;
        self.html[start..end].to_owned()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    /// The value attribute of the input named `name`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let at = self.html.find(&marker)?;
        let tag_end = self.html[at..].find('>')? + at;
        let tag = &self.html[at..tag_end];
        let v = tag.find("value=\"")? + 7;
        let end = tag[v..].find('"')? + v;
        Some(tag[v..end].to_owned())
    }

    /// The message shown next to the field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let marker = format!("id=\"{name}-error\">");
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find('<')? + start;
        Some(self.html[start..end].to_owned())
    }
}

pub struct WebClient {
    base: String,
    http: reqwest::Client,
}

impl WebClient {
    pub fn new(base: &str) -> WebClient {
        WebClient {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        let content_type = header("content-type");
        let content_disposition = header("content-disposition");
        Page {
            status,
            location,
            content_type,
            content_disposition,
            html: res.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Follows redirects from `path` and returns the last page.
    pub async fn visit(&self, path: &str) -> Page {
        let mut page = self.get(path).await;
        let mut hops = 0;
        while let Some(next) = page.location.clone() {
            hops += 1;
            assert!(hops < 10, "redirect loop at {next}");
            page = self.get(&next).await;
        }
        page
    }

    /// Submits a form as the browser would: fetches `form_page` for its CSRF token,
    /// then posts `fields` to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(form_page).await.csrf();
        self.post_with_csrf(action, &csrf, fields).await
    }

    pub async fn post_with_csrf(&self, action: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf)];
        all.extend_from_slice(fields);
        let res = self
            .http
            .post(format!("{}{action}", self.base))
            .form(&all)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    /// Posts a `multipart/form-data` form, as a form with file inputs is sent:
    /// `files` are (field, file name, content).
    pub async fn post_multipart(
        &self,
        action: &str,
        csrf: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf.to_owned());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, content) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string()),
            );
        }
        let res = self
            .http
            .post(format!("{}{action}", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    pub async fn sign_in(&self, who: &Credentials) -> Page {
        let page = self
            .submit(
                "/signin",
                "/signin",
                &[("mobile", &who.mobile), ("password", &who.password)],
            )
            .await;
        assert_eq!(
            page.location.as_deref(),
            Some("/dashboard"),
            "sign in {}: {}",
            who.mobile,
            page.html
        );
        page
    }
}
