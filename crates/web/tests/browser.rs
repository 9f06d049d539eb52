//! The pages in a real browser: headless Chromium driven through chromedriver.
//!
//! Every test starts its own chromedriver (on a free port), its own Chromium profile
//! and its own certdesk on its own database, so the tests run in parallel.
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/test.sh installs them);
//! without them the tests fail, unless CERTDESK_SKIP_BROWSER=1 says to skip them.

mod browser_support;

use browser_support::{click, in_browser, path, text_of, type_into};
use serde_json::Value;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

// ---------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_an_organisation_signs_in_and_sees_its_profile() {
    in_browser(None, |driver, app| async move {
        let org = app.org_registration();
        let org_name = text(&org, "org_name");
        let uscc = text(&org, "uscc");

        driver.goto(format!("{}/register", app.url)).await?;
        fill_registration(&driver, &org, &uscc).await?;
        click(&driver, "register-submit").await?;

        let signin = driver.query(By::Id("signin-submit")).first().await?;
        assert_eq!(path(&driver).await?, "/signin");
        let notice = driver
            .query(By::Css("p.notice"))
            .first()
            .await?
            .text()
            .await?;
        assert!(notice.contains("注册成功，请登录"), "notice: {notice:?}");

        type_into(&driver, "mobile", &text(&org, "mobile")).await?;
        type_into(&driver, "password", &text(&org, "password")).await?;
        signin.click().await?;

        let shown = text_of(&driver, "org-name").await?;
        assert_eq!(path(&driver).await?, "/dashboard");
        assert_eq!(shown, org_name);

        driver
            .query(By::Css("nav.main-nav a"))
            .with_text("单位信息".to_owned())
            .first()
            .await?
            .click()
            .await?;
        let code = text_of(&driver, "org-code").await?;
        assert_eq!(path(&driver).await?, "/organisation");
        assert_eq!(code, uscc);
        let shown = text_of(&driver, "org-name").await?;
        assert_eq!(shown, org_name);

        click(&driver, "signout").await?;
        driver.query(By::Id("signin-submit")).first().await?;
        assert_eq!(path(&driver).await?, "/signin");
        assert!(
            driver
                .query(By::Id("current-user"))
                .nowait()
                .not_exists()
                .await?,
            "still shown as signed in after signing out"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_uscc_is_explained_next_to_the_field_and_nothing_typed_is_lost() {
    in_browser(None, |driver, app| async move {
        let org = app.org_registration();
        let bad = testkit::ids::uscc_with_bad_check(app.unique());

        driver.goto(format!("{}/register", app.url)).await?;
        fill_registration(&driver, &org, &bad).await?;
        click(&driver, "register-submit").await?;

        let message = text_of(&driver, "uscc-error").await?;
        assert_eq!(path(&driver).await?, "/register");
        assert!(
            message.contains("统一社会信用代码校验位错误"),
            "message next to uscc: {message:?}"
        );

        for (id, typed) in typed_fields(&org, &bad) {
            let value = driver
                .query(By::Id(id))
                .first()
                .await?
                .prop("value")
                .await?;
            assert_eq!(
                value.as_deref(),
                Some(typed.as_str()),
                "#{id} after the failed submit"
            );
        }
        let org_type = driver
            .query(By::Id("org_type"))
            .first()
            .await?
            .prop("value")
            .await?;
        assert_eq!(
            org_type.as_deref(),
            Some("supplier"),
            "#org_type after the failed submit"
        );
        let has_uscc = driver.query(By::Id("has_uscc_yes")).first().await?;
        assert!(
            has_uscc.is_selected().await?,
            "#has_uscc_yes after the failed submit"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layout_fits_a_phone() {
    in_browser(Some((390, 844)), |driver, app| async move {
        driver.goto(format!("{}/register", app.url)).await?;
        driver.query(By::Id("register-submit")).first().await?;

        let ret = driver
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                Vec::new(),
            )
            .await?;
        let (scroll_width, inner_width): (u64, u64) = ret.convert()?;
        assert!(
            inner_width <= 400,
            "the window did not shrink to phone width: innerWidth {inner_width}"
        );
        assert!(
            scroll_width <= inner_width,
            "/register scrolls sideways at phone width: scrollWidth {scroll_width} > innerWidth {inner_width}"
        );
        Ok(())
    })
    .await;
}

// ---------------------------------------------------------------------------
// The registration form

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_owned()
}

/// The text inputs of the registration form, by id, with what the test types into them.
fn typed_fields(org: &Value, uscc: &str) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("org_name", text(org, "org_name")),
        ("uscc", uscc.to_owned()),
    ];
    for id in [
        "registration_authority",
        "region",
        "address",
        "legal_representative",
        "name",
        "mobile",
        "email",
        "password",
        "password_confirm",
    ] {
        fields.push((id, text(org, id)));
    }
    fields
}

/// Fills the 主体注册 form as a 供应商 with a USCC, without submitting it.
async fn fill_registration(driver: &WebDriver, org: &Value, uscc: &str) -> WebDriverResult<()> {
    let org_type = driver.query(By::Id("org_type")).first().await?;
    SelectElement::new(&org_type)
        .await?
        .select_by_value("supplier")
        .await?;
    let has_uscc = driver.query(By::Id("has_uscc_yes")).first().await?;
    assert!(
        has_uscc.is_selected().await?,
        "有社会信用代码证 is not 是 by default"
    );
    for (id, value) in typed_fields(org, uscc) {
        type_into(driver, id, &value).await?;
    }
    Ok(())
}
