//! certdesk over HTTP: pages and API, each test on its own server and database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use serde_json::{Value, json};
use testkit::{Credentials, PASSWORD, TestApp, ids};

fn form_fields(body: &Value) -> Vec<(String, String)> {
    body.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// The `Set-Cookie` header of a response that sets the cookie starting with `prefix`.
fn set_cookie(res: &reqwest::Response, prefix: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} cookie set"))
}

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn health_and_openapi_answer() {
    let app = TestApp::start().await;
    let (status, body) = app.api().get("/healthz").await;
    assert_eq!((status, body), (200, Value::String("ok".into())));
    let (status, doc) = app.api().get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/accounts/organisation",
        "/api/v1/accounts/individual",
        "/api/v1/sessions",
        "/api/v1/me",
        "/api/v1/organisations/{id}",
        "/api/v1/organisations/{id}/members",
        "/api/v1/admin/users",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let missing = app.web().get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.contains("页面或记录不存在"));
}

#[tokio::test]
async fn an_organisation_registers_through_the_pages_and_sees_its_profile() {
    let app = TestApp::start().await;
    let body = app.org_registration();
    let fields = form_fields(&body);
    let web = app.web();
    let page = web.submit("/register", "/register", &refs(&fields)).await;
    assert_eq!(page.status, 303, "{}", page.html);
    assert_eq!(
        page.location.as_deref(),
        Some("/signin?notice=notice.registered")
    );
    assert!(
        web.get("/signin?notice=notice.registered")
            .await
            .contains("注册成功，请登录")
    );

    let admin = Credentials {
        mobile: body["mobile"].as_str().unwrap().into(),
        password: PASSWORD.into(),
        name: body["name"].as_str().unwrap().into(),
    };
    web.sign_in(&admin).await;
    let dashboard = web.visit("/dashboard").await;
    assert!(dashboard.contains(body["org_name"].as_str().unwrap()));
    assert!(dashboard.contains("单位管理员"));
    let profile = web.visit("/organisation").await;
    assert_eq!(profile.status, 200);
    assert!(profile.contains(body["uscc"].as_str().unwrap()));
    assert!(profile.contains("杭州市市场监督管理局"));
}

#[tokio::test]
async fn a_wrong_uscc_is_explained_next_to_the_field_and_the_form_keeps_every_value() {
    let app = TestApp::start().await;
    let mut body = app.org_registration();
    body["uscc"] = json!(ids::uscc_with_bad_check(777));
    body["mobile"] = json!("1380013800");
    let fields = form_fields(&body);
    let page = app
        .web()
        .submit("/register", "/register", &refs(&fields))
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("uscc").as_deref(),
        Some("统一社会信用代码校验位错误，请与营业执照核对")
    );
    assert_eq!(
        page.field_error("mobile").as_deref(),
        Some("手机号码应为11位数字（不加+86）")
    );
    for (name, value) in &fields {
        if name == "org_type" || name == "has_uscc" {
            continue;
        }
        assert_eq!(
            page.input_value(name).as_deref(),
            Some(value.as_str()),
            "{name} lost"
        );
    }
    assert!(page.contains(r#"<option value="purchaser" selected>"#));
}

#[tokio::test]
async fn duplicates_are_named() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let mut body = app.org_registration();
    body["uscc"] = json!(org.uscc);
    body["mobile"] = json!(org.admin.mobile);
    let fields = form_fields(&body);
    let page = app
        .web()
        .submit("/register", "/register", &refs(&fields))
        .await;
    assert_eq!(page.status, 422);
    assert!(page.field_error("uscc").unwrap().contains("已注册"));
    assert!(page.field_error("mobile").unwrap().contains("已注册"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::start().await;
    let body = app.org_registration();
    let fields = form_fields(&body);
    let web = app.web();
    web.get("/register").await;
    let page = web
        .post_with_csrf("/register", "forged-token", &refs(&fields))
        .await;
    assert_eq!(page.status, 403);
    assert!(page.contains("页面已过期"));
    // Nothing was created: the admin cannot sign in.
    let (status, _) = app
        .api()
        .post(
            "/api/v1/sessions",
            &json!({"mobile": body["mobile"], "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 401);

    // Signed in, the session's own token is required.
    let org = app.register_org().await;
    web.sign_in(&org.admin).await;
    let page = web
        .post_with_csrf(
            "/organisation/members",
            "forged-token",
            &[("name", "某人"), ("mobile", "13712345678")],
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .get(format!("{}/signin", app.url))
        .send()
        .await
        .unwrap();
    let csrf_cookie = set_cookie(&res, "cd_csrf=");
    let token = csrf_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("cd_csrf=")
        .to_owned();
    let res = http
        .post(format!("{}/signin", app.url))
        .header("cookie", format!("cd_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("mobile", &org.admin.mobile),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "cd_session=");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http must not set Secure: {session}"
    );

    // Behind a reverse proxy that terminates https, cookies are Secure.
    let res = http
        .post(format!("{}/signin", app.url))
        .header("cookie", format!("cd_csrf={token}"))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("csrf", token.as_str()),
            ("mobile", &org.admin.mobile),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let session = set_cookie(&res, "cd_session=");
    assert!(session.contains("; Secure"), "{session}");
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_on_the_page() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let web = app.web();
    for _ in 0..app::accounts::MAX_FAILURES {
        let page = web
            .submit(
                "/signin",
                "/signin",
                &[("mobile", &org.admin.mobile), ("password", "wrong-pass1")],
            )
            .await;
        assert_eq!(page.status, 401);
        assert!(page.contains("手机号码或密码错误"));
        assert_eq!(
            page.input_value("mobile").as_deref(),
            Some(org.admin.mobile.as_str())
        );
    }
    let page = web
        .submit(
            "/signin",
            "/signin",
            &[("mobile", &org.admin.mobile), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 429);
    assert!(page.contains("登录失败次数过多"), "{}", page.html);
}

#[tokio::test]
async fn each_role_sees_its_own_navigation_and_nothing_else() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let admin = app.staff(Role::Admin).await;
    let reviewer = app.staff(Role::Reviewer).await;

    let web = app.web();
    web.sign_in(&org.admin).await;
    let page = web.visit("/dashboard").await;
    assert!(page.contains("href=\"/organisation/members\""));
    assert!(!page.contains("href=\"/admin/users\""));
    assert_eq!(web.get("/admin/users").await.status, 403);
    assert_eq!(web.get("/organisations").await.status, 403);

    let web = app.web();
    web.sign_in(&reviewer).await;
    let page = web.visit("/dashboard").await;
    assert!(page.contains("href=\"/organisations\""));
    assert!(!page.contains("href=\"/admin/users\""));
    assert!(page.contains("审核员"));
    assert_eq!(web.get("/admin/users").await.status, 403);
    let search = web.visit(&format!("/organisations?q={}", org.uscc)).await;
    assert!(search.contains(&org.name));

    let web = app.web();
    web.sign_in(&admin).await;
    let page = web.visit("/admin/users").await;
    assert_eq!(page.status, 200);
    let created = web
        .submit(
            "/admin/users",
            "/admin/users",
            &[
                ("name", "制证员乙"),
                ("mobile", "13612345678"),
                ("role", "operator"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.html);
    assert!(created.contains("id=\"generated-password\""));
    assert!(created.contains("136****5678"));

    // Signed out, member pages send you to sign in.
    let anonymous = app.web();
    assert_eq!(
        anonymous.get("/dashboard").await.location.as_deref(),
        Some("/signin")
    );
}

#[tokio::test]
async fn the_org_admin_manages_people_through_the_pages() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    let page = web
        .submit(
            "/organisation/members",
            "/organisation/members",
            &[
                ("name", "项目负责人"),
                ("mobile", "13512345678"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.contains("项目负责人"));
    let password = {
        let at = page.html.find("class=\"code big\">").unwrap() + "class=\"code big\">".len();
        page.html[at..at + 12].to_owned()
    };

    // The new member must change the initial password before anything else.
    let member = app.web();
    member
        .sign_in(&Credentials {
            mobile: "13512345678".into(),
            password: password.clone(),
            name: "项目负责人".into(),
        })
        .await;
    let page = member.visit("/dashboard").await;
    assert!(page.contains("请先修改初始密码"), "{}", page.html);
    let changed = member
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", "Member-pass1"),
                ("new_password_confirm", "Member-pass1"),
            ],
        )
        .await;
    assert_eq!(
        changed.location.as_deref(),
        Some("/dashboard?notice=notice.password_changed")
    );
    assert!(member.visit("/dashboard").await.contains(&org.name));

    // The admin removes the member; the last admin cannot be removed.
    let (_, me) = app
        .api()
        .signed_in(&org.admin)
        .await
        .get("/api/v1/me")
        .await;
    let list = web.visit("/organisation/members").await;
    let csrf = list.csrf();
    let own = format!(
        "/organisation/members/{}/remove",
        me["id"].as_str().unwrap()
    );
    let refused = web.post_with_csrf(&own, &csrf, &[]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.contains("不能移除唯一的单位管理员"));
}

#[tokio::test]
async fn the_api_registers_signs_in_and_answers_in_either_language() {
    let app = TestApp::start().await;
    let mut body = app.org_registration();
    body["uscc"] = json!(ids::uscc_with_bad_check(5));
    let (status, err) = app.api().post("/api/v1/accounts/organisation", &body).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["key"], "error.invalid");
    assert_eq!(err["error"]["fields"][0]["field"], "uscc");
    assert_eq!(err["error"]["fields"][0]["key"], "uscc.check_digit");
    assert_eq!(
        err["error"]["fields"][0]["message"],
        "统一社会信用代码校验位错误，请与营业执照核对"
    );

    let org = app.register_org().await;
    let api = app.api().signed_in(&org.admin).await;
    let (status, me) = api.get("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "applicant");
    assert_eq!(me["is_org_admin"], true);
    assert_eq!(me["organisation_id"], org.id.as_str());

    let (status, profile) = api.get(&format!("/api/v1/organisations/{}", org.id)).await;
    assert_eq!(status, 200);
    assert_eq!(profile["credit_code"], org.uscc.as_str());

    let (status, added) = api
        .post(
            &format!("/api/v1/organisations/{}/members", org.id),
            &json!({"name": "王五", "mobile": "13400000001"}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let (_, members) = api
        .get(&format!("/api/v1/organisations/{}/members", org.id))
        .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let (status, _) = api
        .delete(&format!(
            "/api/v1/organisations/{}/members/{}",
            org.id,
            added["user_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 204);

    // Someone else's organisation is out of reach.
    let other = app.register_org().await;
    let (status, err) = api
        .get(&format!("/api/v1/organisations/{}", other.id))
        .await;
    assert_eq!(status, 403);
    assert_eq!(err["error"]["key"], "error.forbidden");

    let (status, _) = api.delete("/api/v1/sessions/current").await;
    assert_eq!(status, 204);
    let (status, err) = api.get("/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["key"], "error.unauthenticated");

    let english = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.url))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(english["error"]["message"], "Please sign in.");
}

#[tokio::test]
async fn the_api_with_the_browser_cookie_needs_the_csrf_header() {
    let app = TestApp::start().await;
    let org = app.register_org().await;
    let web = app.web();
    web.sign_in(&org.admin).await;
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    // Sign this client in through the page to hold the cookie itself.
    let signin = http
        .get(format!("{}/signin", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let at = signin.find(marker).unwrap() + marker.len();
    let csrf = &signin[at..at + 43];
    http.post(format!("{}/signin", app.url))
        .form(&[
            ("csrf", csrf),
            ("mobile", org.admin.mobile.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let url = format!("{}/api/v1/organisations/{}/members", app.url, org.id);
    let res = http
        .post(&url)
        .json(&json!({"name": "赵六", "mobile": "13300000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // With the session's token in the header, the same call works.
    let dashboard = http
        .get(format!("{}/dashboard", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = dashboard.find(marker).unwrap() + marker.len();
    let session_csrf = &dashboard[at..at + 43];
    let res = http
        .post(&url)
        .header("x-csrf-token", session_csrf)
        .json(&json!({"name": "赵六", "mobile": "13300000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn the_language_can_be_switched_to_english_and_back() {
    let app = TestApp::start().await;
    let web = app.web();
    assert!(web.visit("/signin").await.contains("账号登录"));
    let r = web.get("/lang/en").await;
    assert_eq!(r.status, 303);
    let page = web.visit("/signin").await;
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("Sign in"));
    web.get("/lang/zh-CN").await;
    assert!(web.visit("/signin").await.contains("账号登录"));
}

#[tokio::test]
async fn individuals_register_through_the_page() {
    let app = TestApp::start().await;
    let web = app.web();
    let mobile = app.mobile();
    let id = ids::id_number(42);
    let page = web
        .submit(
            "/register/individual",
            "/register/individual",
            &[
                ("name", "张三"),
                ("id_number", &id),
                ("mobile", &mobile),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    web.sign_in(&Credentials {
        mobile,
        password: PASSWORD.into(),
        name: "张三".into(),
    })
    .await;
    let dashboard = web.visit("/dashboard").await;
    // The ID number is shown masked, never whole.
    assert!(dashboard.contains(&format!("{}***********{}", &id[..3], &id[14..])));
    assert!(!dashboard.contains(&id));
}
