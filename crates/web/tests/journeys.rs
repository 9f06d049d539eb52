//! The user guides' journeys (shared/seeds/), walked through the real pages in headless
//! Chromium: an applicant fills, uploads, submits and pays; a reviewer decides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_support;

use std::path::PathBuf;

use browser_support::{Scratch, click, in_browser, path, text_of, type_into};
use domain::account::Role;
use testkit::{Credentials, TestApp, ids};
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

/// The smallest valid PNG: what a scanned 电子件 is, for the server's content check.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

// ---------------------------------------------------------------------------
// The journeys

/// Seed 000, 网上办理 新制: fill → pay (QR, the sandbox cashier in another window,
/// the order page updating by itself) → 初审 → 终审 (paper received) → 待制证.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_remote_new_certificate_is_paid_then_approved() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let reviewer = app.staff(Role::Reviewer).await;
        let files = Scratch::new("certdesk-uploads");
        let scan = write_file(&files.0, "扫描件.png", PNG);

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "new", "org_master", "online").await?;
        fill_handler(&driver, &app).await?;
        choose(&driver, "years", "1").await?;
        click(&driver, "delivery-mail").await?;
        type_into(&driver, "mail_address", "杭州市西湖区文三路90号").await?;
        type_into(&driver, "mail_recipient", "收件人").await?;
        type_into(&driver, "mail_phone", &ids::mobile(app.unique())).await?;
        attach_required(&driver, &scan).await?;
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        assert_eq!(status_of(&driver).await?, "待支付");
        let order_page = driver.current_url().await?;
        // The breakdown: the price of one certificate for a year, and the 10 元 shipping.
        assert_eq!(text_of(&driver, "total").await?, "310.00");

        click(&driver, "pay").await?;
        let cashier = driver
            .query(By::Id("code-url"))
            .first()
            .await?
            .attr("href")
            .await?
            .expect("the QR code's URL");
        // The payer opens the code on another device: a second window with no session.
        let order_window = driver.window().await?;
        let payer = driver.new_window().await?;
        driver.switch_to_window(payer).await?;
        driver.goto(&cashier).await?;
        assert_eq!(text_of(&driver, "cashier-amount").await?, "¥310.00");
        click(&driver, "confirm-pay").await?;
        driver.query(By::Id("cashier-paid")).first().await?;
        driver.close_window().await?;
        driver.switch_to_window(order_window).await?;

        // The order page follows the payment by itself.
        wait_for_status(&driver, "待初审").await?;
        assert_eq!(driver.current_url().await?.path(), order_page.path());

        sign_out_and_in(&driver, &app, &reviewer).await?;
        let number = order_number_at(&driver, order_page.as_str()).await?;
        open_from_queue(&driver, &app, &number).await?;
        click(&driver, "approve").await?;
        driver.query(By::Css("p.notice")).first().await?;
        assert_eq!(path(&driver).await?, "/queue");
        open_from_queue(&driver, &app, &number).await?;
        click(&driver, "paper_received").await?;
        click(&driver, "approve").await?;
        driver.query(By::Css("p.notice")).first().await?;

        driver.goto(order_page.as_str()).await?;
        assert_eq!(status_of(&driver).await?, "待制证");
        let history = text_of(&driver, "history").await?;
        for step in ["提交信息", "支付成功", "审核通过"] {
            assert!(
                history.contains(step),
                "流程审批记录 lacks {step}: {history}"
            );
        }
        Ok(())
    })
    .await;
}

// ---------------------------------------------------------------------------
// Steps the journeys share

pub fn write_file(dir: &std::path::Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write an upload");
    p
}

pub async fn sign_in(driver: &WebDriver, app: &TestApp, who: &Credentials) -> WebDriverResult<()> {
    driver.goto(format!("{}/signin", app.url)).await?;
    type_into(driver, "mobile", &who.mobile).await?;
    type_into(driver, "password", &who.password).await?;
    click(driver, "signin-submit").await?;
    driver.query(By::Id("current-user")).first().await?;
    Ok(())
}

pub async fn sign_out_and_in(
    driver: &WebDriver,
    app: &TestApp,
    who: &Credentials,
) -> WebDriverResult<()> {
    click(driver, "signout").await?;
    driver.query(By::Id("signin-submit")).first().await?;
    sign_in(driver, app, who).await
}

/// 新增申请: choose, read the terms, 同意; lands on the form.
pub async fn start_order(
    driver: &WebDriver,
    app: &TestApp,
    kind: &str,
    cert_type: &str,
    channel: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{}/dashboard", app.url)).await?;
    driver
        .query(By::Css("nav.main-nav a"))
        .with_text("新增申请".to_owned())
        .first()
        .await?
        .click()
        .await?;
    click(driver, &format!("kind-{kind}")).await?;
    click(driver, &format!("cert_type-{cert_type}")).await?;
    click(driver, &format!("channel-{channel}")).await?;
    text_of(driver, "terms").await?;
    click(driver, "agree_terms").await?;
    click(driver, "agree").await?;
    driver.query(By::Id("order-form")).first().await?;
    Ok(())
}

/// The 经办人 fields, with fresh valid values.
pub async fn fill_handler(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    let n = app.unique();
    type_into(driver, "handler_name", "张经办").await?;
    type_into(driver, "handler_id_number", &ids::id_number(n)).await?;
    type_into(driver, "handler_mobile", &ids::mobile(n)).await?;
    type_into(driver, "handler_email", &format!("handler{n}@example.com")).await?;
    type_into(driver, "quantity", "1").await
}

pub async fn choose(driver: &WebDriver, id: &str, value: &str) -> WebDriverResult<()> {
    let select = driver.query(By::Id(id)).first().await?;
    SelectElement::new(&select)
        .await?
        .select_by_value(value)
        .await
}

/// Attaches `file` to every required 电子件 of the form.
pub async fn attach_required(driver: &WebDriver, file: &std::path::Path) -> WebDriverResult<()> {
    let rows = driver
        .query(By::Css("#documents .field"))
        .all_from_selector()
        .await?;
    for row in rows {
        if row.find_all(By::Css("label .req")).await?.is_empty() {
            continue;
        }
        let input = row.find(By::Css("input[type=file]")).await?;
        input.send_keys(file.display().to_string()).await?;
    }
    Ok(())
}

pub async fn status_of(driver: &WebDriver) -> WebDriverResult<String> {
    text_of(driver, "order-status").await
}

/// Waits (the page polls and reloads itself) until the order shows `status`.
pub async fn wait_for_status(driver: &WebDriver, status: &str) -> WebDriverResult<()> {
    driver
        .query(By::Id("order-status"))
        .with_text(status.to_owned())
        .first()
        .await?;
    Ok(())
}

pub async fn order_number_at(driver: &WebDriver, order_page: &str) -> WebDriverResult<String> {
    driver.goto(order_page).await?;
    text_of(driver, "order-number").await
}

/// 代办事宜: searches the order by number and opens it.
pub async fn open_from_queue(
    driver: &WebDriver,
    app: &TestApp,
    number: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{}/queue", app.url)).await?;
    type_into(driver, "q", number).await?;
    driver
        .query(By::Css("#queue-filter button[type=submit]"))
        .first()
        .await?
        .click()
        .await?;
    driver
        .query(By::Css(format!("tr[data-order='{number}'] a")))
        .first()
        .await?
        .click()
        .await?;
    driver.query(By::Id("review-form")).first().await?;
    Ok(())
}
