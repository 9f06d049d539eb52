//! The admin's configuration pages and API over HTTP, each test on its own server
//! and database: admins only, bad forms keep what was typed, the API round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::account::Role;
use serde_json::json;
use testkit::TestApp;

const PAGES: &[&str] = &[
    "/admin/config",
    "/admin/fees",
    "/admin/procedures",
    "/admin/procedures/new/online",
    "/admin/documents",
    "/admin/documents/new/org_master",
    "/admin/service-points",
    "/admin/platforms",
    "/admin/holidays",
    "/admin/holidays?year=2026",
];

/// The `<option … selected>` of the select named `name`, if any.
fn selected(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("<select id=\"{name}\" name=\"{name}\""))?;
    let end = html[start..].find("</select>")? + start;
    let select = &html[start..end];
    let at = select.find(" selected>")?;
    let value_at = select[..at].rfind("value=\"")? + 7;
    let value_end = select[value_at..].find('"')? + value_at;
    Some(select[value_at..value_end].to_owned())
}

#[tokio::test]
async fn the_pages_are_for_admins_only() {
    let app = TestApp::start().await;
    let admin = app.staff(Role::Admin).await;
    let reviewer = app.staff(Role::Reviewer).await;
    let org = app.register_org().await;

    let web = app.web();
    web.sign_in(&admin).await;
    let dashboard = web.visit("/dashboard").await;
    for href in ["/admin/config", "/admin/users"] {
        assert!(
            dashboard.contains(&format!("href=\"{href}\"")),
            "{href} in the admin's navigation"
        );
    }
    // The configuration overview links every admin page.
    let overview = web.visit("/admin/config").await;
    for href in [
        "/admin/fees",
        "/admin/procedures",
        "/admin/documents",
        "/admin/service-points",
        "/admin/platforms",
        "/admin/holidays",
        "/admin/users",
    ] {
        assert!(
            overview.contains(&format!("href=\"{href}\"")),
            "{href} on the configuration overview"
        );
    }
    for path in PAGES {
        let page = web.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
    }
    let overview = web.get("/admin/config").await;
    assert!(overview.contains("邮寄费（元）"));
    assert!(
        overview.contains("href=\"/admin/users\""),
        "staff accounts are linked"
    );
    assert_eq!(
        overview.input_value("shipping_fee").as_deref(),
        Some("10.00")
    );
    let fees = web.get("/admin/fees").await;
    assert!(fees.contains("单位主锁") && fees.contains("300.00") && fees.contains("默认"));
    let procedures = web.get("/admin/procedures").await;
    assert!(
        procedures.contains("填写申请 → 支付 → 初审 → 终审 → 制证（制证员） → 交付（邮寄/领取）")
    );
    let holidays = web.get("/admin/holidays?year=2026").await;
    assert!(holidays.contains("id=\"day-2026-10-01\"") && holidays.contains("国庆节"));
    let no_table = web.get("/admin/holidays?year=2031").await;
    assert!(no_table.contains("id=\"no-table\""));

    for who in [&org.admin, &reviewer] {
        let web = app.web();
        web.sign_in(who).await;
        let dashboard = web.visit("/dashboard").await;
        assert!(!dashboard.contains("href=\"/admin/config\""));
        for path in PAGES {
            assert_eq!(web.get(path).await.status, 403, "{path}");
        }
        let csrf = web.get("/dashboard").await.csrf();
        let posted = web
            .post_with_csrf(
                "/admin/fees",
                &csrf,
                &[
                    ("kind", "new"),
                    ("cert_type", "seal"),
                    ("channel", "online"),
                    ("price", "1"),
                ],
            )
            .await;
        assert_eq!(posted.status, 403);
    }
    let anonymous = app.web();
    for path in PAGES {
        assert_eq!(
            anonymous.get(path).await.location.as_deref(),
            Some("/signin"),
            "{path}"
        );
    }
    // Nothing the others posted took effect.
    let api = app.api().signed_in(&admin).await;
    let (_, fees) = api.get("/api/v1/admin/fees").await;
    assert!(
        fees.as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"] == "default")
    );
}

#[tokio::test]
async fn a_bad_form_keeps_what_was_typed_and_says_why_in_chinese() {
    let app = TestApp::start().await;
    let admin = app.staff(Role::Admin).await;
    let web = app.web();
    web.sign_in(&admin).await;

    let page = web
        .submit(
            "/admin/fees",
            "/admin/fees",
            &[
                ("kind", "renew"),
                ("cert_type", "seal"),
                ("channel", "onsite"),
                ("price", "12.345"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("price").as_deref(),
        Some("金额最多两位小数（精确到分）")
    );
    assert_eq!(page.input_value("price").as_deref(), Some("12.345"));
    assert_eq!(selected(&page.html, "kind").as_deref(), Some("renew"));
    assert_eq!(selected(&page.html, "channel").as_deref(), Some("onsite"));

    let page = web
        .submit(
            "/admin/fees",
            "/admin/fees",
            &[
                ("kind", "inspect"),
                ("cert_type", "personal"),
                ("channel", "online"),
                ("price", "5"),
            ],
        )
        .await;
    assert_eq!(
        page.field_error("cert_type").as_deref(),
        Some("年检仅适用于电子签章证书")
    );

    // A procedure that would produce without a review.
    let page = web
        .submit(
            "/admin/procedures/new/online",
            "/admin/procedures/new/online",
            &[
                ("step1", "fill"),
                ("step2", "pay"),
                ("step3", "produce:operator"),
                ("step4", "deliver"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("steps").as_deref(),
        Some("流程中至少要有一次审核：未经审核不能制证")
    );
    assert_eq!(selected(&page.html, "step2").as_deref(), Some("pay"));
    assert_eq!(
        selected(&page.html, "step3").as_deref(),
        Some("produce:operator")
    );
    assert_eq!(selected(&page.html, "step5").as_deref(), Some(""));

    let page = web
        .submit(
            "/admin/config",
            "/admin/config",
            &[("shipping_fee", "10元"), ("review_sla_days", "三")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.field_error("shipping_fee")
            .unwrap()
            .contains("金额只能包含数字和小数点")
    );
    assert_eq!(
        page.field_error("review_sla_days").as_deref(),
        Some("初审时限应为0至60之间的整数（工作日）")
    );
    assert_eq!(page.input_value("shipping_fee").as_deref(), Some("10元"));
    assert_eq!(page.input_value("review_sla_days").as_deref(), Some("三"));

    let add = [
        ("name", "金水办理点"),
        ("address", "郑州市金水区"),
        ("hours", "工作日 9:00-17:00"),
        ("phone", "0371-1234"),
    ];
    let page = web
        .submit("/admin/service-points", "/admin/service-points", &add)
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/service-points?notice=notice.saved")
    );
    let page = web
        .submit("/admin/service-points", "/admin/service-points", &add)
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(page.field_error("name").as_deref(), Some("已有同名办理点"));
    assert_eq!(page.input_value("address").as_deref(), Some("郑州市金水区"));

    let page = web
        .submit(
            "/admin/platforms",
            "/admin/platforms",
            &[("name", "政采云"), ("url", "www.zcygov.cn")],
        )
        .await;
    assert_eq!(
        page.field_error("url").as_deref(),
        Some("平台网址应以 http:// 或 https:// 开头，不能有空格")
    );
    assert_eq!(page.input_value("name").as_deref(), Some("政采云"));

    let page = web
        .submit(
            "/admin/holidays",
            "/admin/holidays",
            &[
                ("date", "2027-13-01"),
                ("day_type", "holiday"),
                ("name", "元旦"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("date").as_deref(),
        Some("日期格式应为 2027-01-01")
    );
    assert_eq!(page.input_value("name").as_deref(), Some("元旦"));

    let page = web
        .submit(
            "/admin/documents/new/org_master",
            "/admin/documents/new/org_master",
            &[("handler_id", "sometimes")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("handler_id").as_deref(),
        Some("请选择必传、选传或不需要")
    );
}

#[tokio::test]
async fn forms_change_what_the_pages_show_and_reset_restores_it() {
    let app = TestApp::start().await;
    let admin = app.staff(Role::Admin).await;
    let web = app.web();
    web.sign_in(&admin).await;

    let done = web
        .submit(
            "/admin/fees",
            "/admin/fees",
            &[
                ("kind", "new"),
                ("cert_type", "seal"),
                ("channel", "online"),
                ("price", "388.8"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/admin/fees?notice=notice.saved")
    );
    let fees = web.visit("/admin/fees?notice=notice.saved").await;
    assert!(fees.contains("已保存"));
    let row_start = fees.html.find("id=\"fee-new-seal-online\"").unwrap();
    let row = &fees.html[row_start..row_start + fees.html[row_start..].find("</tr>").unwrap()];
    assert!(
        row.contains("388.80") && row.contains("已配置") && row.contains("400.00"),
        "{row}"
    );
    let csrf = fees.csrf();
    let reset = web
        .post_with_csrf(
            "/admin/fees/reset",
            &csrf,
            &[
                ("kind", "new"),
                ("cert_type", "seal"),
                ("channel", "online"),
            ],
        )
        .await;
    assert_eq!(reset.status, 303);
    assert!(!web.get("/admin/fees").await.contains("388.80"));

    let saved = web
        .submit(
            "/admin/procedures/new/online",
            "/admin/procedures/new/online",
            &[
                ("step1", "fill"),
                ("step2", "review:first"),
                ("step3", ""),
                ("step4", "pay"),
                ("step5", "produce:operator"),
                ("step6", "deliver"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/admin/procedures?notice=notice.saved")
    );
    let edit = web.get("/admin/procedures/new/online").await;
    assert!(edit.contains("id=\"reset\""));
    assert_eq!(selected(&edit.html, "step3").as_deref(), Some("pay"));
    let reset = web
        .post_with_csrf("/admin/procedures/new/online/reset", &edit.csrf(), &[])
        .await;
    assert_eq!(reset.status, 303);
    let edit = web.get("/admin/procedures/new/online").await;
    assert_eq!(selected(&edit.html, "step2").as_deref(), Some("pay"));
    assert!(!edit.contains("id=\"reset\""));

    let saved = web
        .submit(
            "/admin/holidays",
            "/admin/holidays",
            &[
                ("date", "2027-01-01"),
                ("day_type", "holiday"),
                ("name", "元旦"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/admin/holidays?year=2027&notice=notice.saved")
    );
    let year = web.get("/admin/holidays?year=2027").await;
    assert!(year.contains("id=\"day-2027-01-01\"") && year.contains("元旦"));
    let deleted = web
        .post_with_csrf("/admin/holidays/2027-01-01/delete", &year.csrf(), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert!(
        !web.get("/admin/holidays?year=2027")
            .await
            .contains("id=\"day-2027-01-01\"")
    );
}

#[tokio::test]
async fn the_api_round_trips_every_setting() {
    let app = TestApp::start().await;
    let admin = app.staff(Role::Admin).await;
    let api = app.api().signed_in(&admin).await;

    let (status, s) = api
        .put(
            "/api/v1/admin/settings",
            &json!({"shipping_fee": "15", "review_sla_days": "5"}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            s["shipping_fee"].as_i64(),
            s["shipping_fee_source"].as_str()
        ),
        (Some(1500), Some("configured"))
    );
    assert_eq!(s["review_sla_days"], 5);
    let (status, s) = api.delete("/api/v1/admin/settings/shipping_fee").await;
    assert_eq!((status, s["shipping_fee"].as_i64()), (200, Some(1000)));
    assert_eq!(s["shipping_fee_source"], "default");

    let (status, fees) = api
        .put(
            "/api/v1/admin/fees/renew/personal/online",
            &json!({"price": "88.8"}),
        )
        .await;
    assert_eq!(status, 200, "{fees}");
    let row = fees
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "renew" && f["cert_type"] == "personal" && f["channel"] == "online")
        .unwrap()
        .clone();
    assert_eq!(
        (row["price"].as_i64(), row["source"].as_str()),
        (Some(8880), Some("configured"))
    );
    let (status, err) = api
        .put(
            "/api/v1/admin/fees/renew/personal/online",
            &json!({"price": "abc"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"][0]["field"], "price");
    let (status, _) = api.delete("/api/v1/admin/fees/renew/personal/online").await;
    assert_eq!(status, 200);

    let (status, err) = api
        .put(
            "/api/v1/admin/procedures/replace/online",
            &json!({"steps": "fill,pay,review:first,produce:operator,deliver"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"][0]["field"], "steps");
    assert_eq!(
        err["error"]["fields"][0]["message"],
        "补办须在初审（核定逾期费用）之后支付"
    );
    let (status, p) = api
        .put(
            "/api/v1/admin/procedures/renew/online",
            &json!({"steps": "fill,pay,review:first,produce:applicant"}),
        )
        .await;
    assert_eq!(
        (status, p["source"].as_str()),
        (200, Some("configured")),
        "{p}"
    );
    assert_eq!(p["steps"].as_array().unwrap().len(), 4);
    let (status, p) = api.delete("/api/v1/admin/procedures/renew/online").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (200, Some("fill,pay,review:first:auto,produce:applicant"))
    );
    assert_eq!(p["source"], "default");
    assert_eq!(api.get("/api/v1/admin/procedures/renew/fax").await.0, 404);

    let (status, d) = api
        .put(
            "/api/v1/admin/documents/change/personal",
            &json!({"documents": [{"document": "handler_id", "need": "required"}]}),
        )
        .await;
    assert_eq!(
        (status, d["source"].as_str()),
        (200, Some("configured")),
        "{d}"
    );
    let asked: Vec<_> = d["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["need"] != "none")
        .collect();
    assert_eq!(asked.len(), 1);
    let (_, d) = api.delete("/api/v1/admin/documents/change/personal").await;
    assert_eq!(d["source"], "default");

    let (status, sp) = api
        .post(
            "/api/v1/admin/service-points",
            &json!({"name": "二七办理点", "address": "郑州市二七区", "hours": "9:00-17:00"}),
        )
        .await;
    assert_eq!((status, sp["active"].as_bool()), (201, Some(true)), "{sp}");
    let id = sp["id"].as_str().unwrap().to_owned();
    let (status, sp) = api
        .put(
            &format!("/api/v1/admin/service-points/{id}"),
            &json!({"name": "二七区办理点", "address": "郑州市二七区", "hours": "9:00-17:30", "active": "yes"}),
        )
        .await;
    assert_eq!((status, sp["hours"].as_str()), (200, Some("9:00-17:30")));
    let (status, sp) = api
        .post(
            &format!("/api/v1/admin/service-points/{id}/deactivate"),
            &json!({}),
        )
        .await;
    assert_eq!((status, sp["active"].as_bool()), (200, Some(false)));
    let (_, list) = api.get("/api/v1/admin/service-points").await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (status, pf) = api
        .post(
            "/api/v1/admin/platforms",
            &json!({"name": "阳光采购服务平台", "url": "https://www.example.com"}),
        )
        .await;
    assert_eq!(status, 201, "{pf}");
    let id = pf["id"].as_str().unwrap().to_owned();
    let (status, err) = api
        .post(
            "/api/v1/admin/platforms",
            &json!({"name": "阳光采购服务平台", "url": "https://www.example.com"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["fields"][0]["key"].as_str()),
        (422, Some("config.error.platform_name_taken"))
    );
    let (status, pf) = api
        .put(
            &format!("/api/v1/admin/platforms/{id}"),
            &json!({"name": "阳光采购", "url": "https://www.example.com/ca", "active": ""}),
        )
        .await;
    assert_eq!((status, pf["active"].as_bool()), (200, Some(false)));

    let (status, h) = api
        .put(
            "/api/v1/admin/holidays/2027-10-08",
            &json!({"day_type": "holiday", "name": "国庆节"}),
        )
        .await;
    assert_eq!((status, h["year"].as_i64()), (200, Some(2027)), "{h}");
    assert_eq!(h["days"][0]["entered"]["name"], "国庆节");
    assert_eq!(h["official_table"], false);
    let (status, h) = api.delete("/api/v1/admin/holidays/2027-10-08").await;
    assert_eq!((status, h["days"].as_array().unwrap().len()), (200, 0));
    let (status, h) = api.get("/api/v1/admin/holidays?year=2026").await;
    assert_eq!((status, h["official_table"].as_bool()), (200, Some(true)));

    // Not for anyone else.
    let org = app.register_org().await;
    let other = app.api().signed_in(&org.admin).await;
    for path in [
        "/api/v1/admin/settings",
        "/api/v1/admin/fees",
        "/api/v1/admin/holidays",
    ] {
        assert_eq!(other.get(path).await.0, 403, "{path}");
    }
    assert_eq!(
        other
            .put("/api/v1/admin/fees/new/seal/online", &json!({"price": "1"}))
            .await
            .0,
        403
    );

    let (_, doc) = app.api().get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/admin/settings",
        "/api/v1/admin/fees/{kind}/{cert_type}/{channel}",
        "/api/v1/admin/procedures/{kind}/{channel}",
        "/api/v1/admin/documents/{kind}/{cert_type}",
        "/api/v1/admin/service-points/{id}",
        "/api/v1/admin/platforms/{id}",
        "/api/v1/admin/holidays/{date}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}
