//! The user guides' journeys (shared/seeds/), walked through the real pages in headless
//! Chromium: an applicant fills, uploads, submits and pays; a reviewer decides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_support;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

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

        pay_in_cashier_window(&driver, "¥310.00").await?;

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

/// Seed 000, 现场办理 新制: fill (网点领取 at a 办理点), 修改保存, 提交信息 → 初审 通过 →
/// only then 待支付 → the applicant pays (the cashier in another window) → 待制证.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_onsite_new_certificate_is_reviewed_then_paid() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let reviewer = app.staff(Role::Reviewer).await;
        let point = app.service_point("郑州市办理点").await;
        let files = Scratch::new("certdesk-uploads");
        let scan = write_file(&files.0, "扫描件.png", PNG);

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "new", "org_master", "onsite").await?;
        fill_handler(&driver, &app).await?;
        choose(&driver, "years", "1").await?;
        // 现场办理: the key is collected at a 办理点, nothing is mailed.
        let deliveries = driver.find_all(By::Css("input[name=delivery]")).await?;
        assert_eq!(deliveries.len(), 1, "现场办理 offers 网点领取 only");
        click(&driver, "delivery-pickup").await?;
        choose(&driver, "service_point", &point).await?;
        attach_required(&driver, &scan).await?;
        // 修改保存 first, as the guide says; the choices are kept.
        click(&driver, "save").await?;
        wait_for_notice(&driver, "电子件已上传").await?;
        assert_eq!(value_of(&driver, "service_point").await?, point);
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        assert_eq!(status_of(&driver).await?, "待初审");
        let order_page = driver.current_url().await?;
        let number = text_of(&driver, "order-number").await?;
        // 现场办理 is reviewed before it is paid: nothing to pay yet.
        assert!(!driver.query(By::Id("pay")).nowait().exists().await?);
        assert_in_order(
            &text_of(&driver, "steps").await?,
            &["填写信息", "初审", "网上支付", "制证", "交付"],
        );

        sign_out_and_in(&driver, &app, &reviewer).await?;
        approve(&driver, &app, &number, Stage::First).await?;

        sign_out_and_in(&driver, &app, &org.admin).await?;
        driver.goto(order_page.as_str()).await?;
        assert_eq!(status_of(&driver).await?, "待支付");
        // One certificate for a year; no shipping for 网点领取.
        assert_eq!(text_of(&driver, "total").await?, "300.00");
        pay_in_cashier_window(&driver, "¥300.00").await?;
        wait_for_status(&driver, "待制证").await?;
        assert_in_order(
            &text_of(&driver, "history").await?,
            &["提交信息", "审核通过", "支付成功"],
        );
        Ok(())
    })
    .await;
}

/// Seed 001, CA在线申领 (新办 网上办理): pay → 初审 通过 → 终审 退回 (a reason is required)
/// → the applicant reads the reason, edits and resubmits without paying again → 初审 →
/// 终审 with 纸质材料已收到 → 待制证; 流程审批记录 keeps the 退回 and its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_returned_at_final_review_is_resubmitted_without_paying_again() {
    const REASON: &str = "营业执照复印件未加盖公章，请重新盖章后邮寄";
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let reviewer = app.staff(Role::Reviewer).await;
        let point = app.service_point("杭州市西湖区网点").await;
        let files = Scratch::new("certdesk-uploads");
        let scan = write_file(&files.0, "扫描件.png", PNG);

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "new", "org_master", "online").await?;
        fill_handler(&driver, &app).await?;
        choose(&driver, "years", "1").await?;
        // 不需要邮寄请来网点领取.
        click(&driver, "delivery-pickup").await?;
        choose(&driver, "service_point", &point).await?;
        attach_required(&driver, &scan).await?;
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        assert_eq!(status_of(&driver).await?, "待支付");
        let order_page = driver.current_url().await?;
        let number = text_of(&driver, "order-number").await?;
        assert_eq!(text_of(&driver, "total").await?, "300.00");
        pay_in_cashier_window(&driver, "¥300.00").await?;
        wait_for_status(&driver, "待初审").await?;

        sign_out_and_in(&driver, &app, &reviewer).await?;
        approve(&driver, &app, &number, Stage::First).await?;
        open_from_queue(&driver, &app, &number).await?;
        assert_eq!(status_of(&driver).await?, "待终审");
        // 退回 without a reason is refused, next to 审核意见, and nothing changes.
        click(&driver, "return").await?;
        assert_eq!(
            text_of(&driver, "comment-error").await?,
            "退回或拒绝时请填写原因"
        );
        assert_eq!(status_of(&driver).await?, "待终审");
        type_into(&driver, "comment", REASON).await?;
        click(&driver, "return").await?;
        wait_for_notice(&driver, "审核意见已提交").await?;

        sign_out_and_in(&driver, &app, &org.admin).await?;
        driver.goto(order_page.as_str()).await?;
        assert_eq!(status_of(&driver).await?, "已退回");
        assert_eq!(text_of(&driver, "returned-reason").await?, REASON);
        click(&driver, "edit").await?;
        driver.query(By::Id("order-form")).first().await?;
        assert!(text_of(&driver, "returned-reason").await?.contains(REASON));
        // The documents stay uploaded; the applicant corrects a field and resubmits.
        let email = format!("corrected{}@example.com", app.unique());
        type_into(&driver, "handler_email", &email).await?;
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        // Already paid: straight back to 初审, with nothing to pay.
        assert_eq!(status_of(&driver).await?, "待初审");
        assert!(!driver.query(By::Id("pay")).nowait().exists().await?);
        assert!(text_of(&driver, "amount").await?.contains("已支付"));
        assert!(text_of(&driver, "details").await?.contains(&email));

        sign_out_and_in(&driver, &app, &reviewer).await?;
        approve(&driver, &app, &number, Stage::First).await?;
        approve(&driver, &app, &number, Stage::Final).await?;

        driver.goto(order_page.as_str()).await?;
        assert_eq!(status_of(&driver).await?, "待制证");
        let rows = history_rows(&driver).await?;
        assert!(
            rows.iter()
                .any(|r| r.contains("退回") && r.contains(REASON)),
            "流程审批记录 lacks the 退回 and its reason: {rows:?}"
        );
        let payments = rows.iter().filter(|r| r.contains("支付成功")).count();
        assert_eq!(payments, 1, "paid once: {rows:?}");
        assert!(rows.iter().any(|r| r.contains("纸质材料已收到")));
        Ok(())
    })
    .await;
}

/// Seed 002, 信息变更 (网上办理): the required 电子件 uploaded with 修改保存, 证书序列号 and
/// 变更内容, 提交信息 → 待支付; paid on another device (a plain HTTP client), then
/// 刷新支付状态 on the order page → 支付成功, 待初审.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_change_of_details_is_paid_elsewhere_and_refresh_shows_it() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let files = Scratch::new("certdesk-uploads");
        let scan = write_file(&files.0, "扫描件.png", PNG);

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "change", "org_master", "online").await?;
        // 信息变更 online: the applicant downloads the changed certificate; no 年限, no
        // 领取方式 to choose.
        assert!(!driver.query(By::Id("years")).nowait().exists().await?);
        assert!(
            !driver
                .query(By::Id("delivery-mail"))
                .nowait()
                .exists()
                .await?
        );
        fill_handler(&driver, &app).await?;
        type_into(&driver, "certificate_serial", "5A3F0B12C4D6E8F0").await?;
        type_into(
            &driver,
            "change_details",
            "单位名称变更为测试采购中心，法定代表人变更为王某",
        )
        .await?;
        let required = attach_required(&driver, &scan).await?;
        assert!(
            required >= 4,
            "信息变更 asks for at least four 电子件, got {required}"
        );
        click(&driver, "save").await?;
        wait_for_notice(&driver, "电子件已上传").await?;
        // Each required 电子件 shows its upload; the optional ones are still missing.
        for row in driver.find_all(By::Css("#documents .field")).await? {
            let required = !row.find_all(By::Css("label .req")).await?.is_empty();
            let text = row.text().await?;
            assert_eq!(text.contains("扫描件.png"), required, "{text}");
        }
        assert_eq!(
            value_of(&driver, "certificate_serial").await?,
            "5A3F0B12C4D6E8F0"
        );
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        assert_eq!(status_of(&driver).await?, "待支付");
        assert_eq!(text_of(&driver, "total").await?, "100.00");
        click(&driver, "pay").await?;
        let cashier = driver
            .query(By::Id("code-url"))
            .first()
            .await?
            .attr("href")
            .await?
            .expect("the QR code's URL");

        // The payer's phone: no browser, no session.
        let cashier = cashier
            .strip_prefix(&app.url)
            .expect("the cashier on this certdesk")
            .to_owned();
        let phone = app.web();
        let till = phone.get(&cashier).await;
        assert_eq!(till.status, 200);
        assert!(till.contains("¥100.00"), "{}", till.html);
        let paid = phone.post_with_csrf(&cashier, &till.csrf(), &[]).await;
        assert!(
            paid.location.as_deref() == Some(cashier.as_str()),
            "confirm-pay answered {} {:?}",
            paid.status,
            paid.location
        );
        assert!(phone.get(&cashier).await.contains("id=\"cashier-paid\""));

        refresh_payment(&driver).await?;
        assert_eq!(status_of(&driver).await?, "待初审");
        assert!(text_of(&driver, "amount").await?.contains("已支付"));
        assert!(text_of(&driver, "history").await?.contains("支付成功"));
        Ok(())
    })
    .await;
}

/// Seed 004, 补办: 补办原因 and 修改保存, then the generated 情况说明书 (.docx, filled with
/// the reason), uploaded stamped with the other 电子件 → 待初审; the reviewer sets 过期时长
/// and 延期费用 (a fee without months is refused) → 待支付 with the fee in the amount →
/// paid → 待制证.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_004_replacement_has_a_generated_statement_and_a_reviewer_set_overdue_fee() {
    const REASON: &str = "USB-KEY丢失，无法找回";
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let reviewer = app.staff(Role::Reviewer).await;
        let files = Scratch::new("certdesk-uploads");
        let scan = write_file(&files.0, "扫描件.png", PNG);

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "replace", "org_master", "online").await?;
        fill_handler(&driver, &app).await?;
        type_into(&driver, "certificate_serial", "0B12C4D6E8F05A3F").await?;
        click(&driver, "delivery-mail").await?;
        type_into(&driver, "mail_address", "辽宁省大连市甘井子区和丰园18-6号").await?;
        type_into(&driver, "mail_recipient", "收件人").await?;
        type_into(&driver, "mail_phone", &ids::mobile(app.unique())).await?;

        // The 情况说明书 is generated from the 补办原因: none saved yet, none to download.
        let early = fetch_link(&driver, "template-statement").await?;
        assert_eq!(early.status, 422);

        type_into(&driver, "replace_reason", REASON).await?;
        click(&driver, "replace_cause-lost").await?;
        click(&driver, "save").await?;
        wait_for_notice(&driver, "已保存").await?;
        assert_eq!(value_of(&driver, "replace_reason").await?, REASON);

        let statement = fetch_link(&driver, "template-statement").await?;
        assert_eq!(statement.status, 200);
        assert_eq!(
            statement.content_type,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert!(
            statement.disposition.contains(".docx"),
            "{}",
            statement.disposition
        );
        let text = docx_text(&statement.body);
        assert!(text.contains(REASON), "情况说明书 lacks the reason");
        assert!(
            text.contains(&org.name),
            "情况说明书 lacks the organisation"
        );

        // Printed, stamped and scanned: uploaded with the other required 电子件.
        attach_required(&driver, &scan).await?;
        let statement_row = driver.query(By::Id("doc-statement")).first().await?;
        assert!(
            !statement_row
                .find_all(By::Css("label .req"))
                .await?
                .is_empty(),
            "补办 requires the 情况说明书"
        );
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;
        assert_eq!(status_of(&driver).await?, "待初审");
        let order_page = driver.current_url().await?;
        let number = text_of(&driver, "order-number").await?;

        sign_out_and_in(&driver, &app, &reviewer).await?;
        open_from_queue(&driver, &app, &number).await?;
        // 补办's 初审 asks how long the certificate has been expired and what that costs.
        assert!(
            !driver
                .query(By::Id("paper_received"))
                .nowait()
                .exists()
                .await?
        );
        type_into(&driver, "overdue_fee", "50.00").await?;
        click(&driver, "approve").await?;
        let refusal = text_of(&driver, "overdue_months-error").await?;
        assert!(refusal.contains("过期时长"), "{refusal}");
        assert_eq!(value_of(&driver, "overdue_fee").await?, "50.00");
        assert_eq!(status_of(&driver).await?, "待初审");
        type_into(&driver, "overdue_months", "3").await?;
        click(&driver, "approve").await?;
        wait_for_notice(&driver, "审核意见已提交").await?;

        sign_out_and_in(&driver, &app, &org.admin).await?;
        driver.goto(order_page.as_str()).await?;
        assert_eq!(status_of(&driver).await?, "待支付");
        assert_eq!(text_of(&driver, "overdue-fee").await?, "50.00");
        assert!(text_of(&driver, "amount").await?.contains("3 个月"));
        // 补办 200.00 + shipping 10.00 + 延期费用 50.00.
        assert_eq!(text_of(&driver, "total").await?, "260.00");
        pay_in_cashier_window(&driver, "¥260.00").await?;
        wait_for_status(&driver, "待制证").await?;
        assert!(
            text_of(&driver, "history")
                .await?
                .contains("过期时长 3 个月")
        );
        Ok(())
    })
    .await;
}

/// Bad input in the browser: a PNG named .pdf is refused next to its 电子件, nothing is
/// stored, and everything typed (text, choices, ticks) is still in the fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_png_named_pdf_is_refused_next_to_its_field_and_everything_typed_stays() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let files = Scratch::new("certdesk-uploads");
        let disguised = write_file(&files.0, "身份证.pdf", PNG);
        let n = app.unique();
        let typed = [
            ("handler_name", "李经办".to_owned()),
            ("handler_id_number", ids::id_number(n)),
            ("handler_mobile", ids::mobile(n)),
            ("handler_email", format!("li{n}@example.com")),
            ("quantity", "2".to_owned()),
            ("mail_address", "河南省郑州市金水区农业路1号".to_owned()),
            ("mail_recipient", "王收件".to_owned()),
            ("mail_phone", ids::mobile(app.unique())),
        ];

        sign_in(&driver, &app, &org.admin).await?;
        start_order(&driver, &app, "new", "org_master", "online").await?;
        let form_path = path(&driver).await?;
        click(&driver, "delivery-mail").await?;
        for (id, value) in &typed {
            type_into(&driver, id, value).await?;
        }
        choose(&driver, "years", "3").await?;
        driver
            .query(By::Id("file_handler_id"))
            .first()
            .await?
            .send_keys(disguised.display().to_string())
            .await?;
        click(&driver, "acknowledge").await?;
        click(&driver, "submit").await?;

        let refusal = text_of(&driver, "handler_id-error").await?;
        assert!(refusal.contains("文件内容与扩展名不符"), "{refusal}");
        assert!(
            text_of(&driver, "form-error")
                .await?
                .contains("请修改标红的内容")
        );
        assert_eq!(path(&driver).await?, form_path, "still on the form");
        for (id, value) in &typed {
            assert_eq!(
                &value_of(&driver, id).await?,
                value,
                "#{id} lost what was typed"
            );
        }
        assert_eq!(value_of(&driver, "years").await?, "3");
        for ticked in ["delivery-mail", "acknowledge"] {
            let el = driver.query(By::Id(ticked)).first().await?;
            assert!(el.is_selected().await?, "#{ticked} is no longer ticked");
        }
        // The refused file was not stored.
        let row = text_of(&driver, "doc-handler_id").await?;
        assert!(
            row.contains("未上传") && !row.contains("身份证.pdf"),
            "{row}"
        );
        Ok(())
    })
    .await;
}

/// Seeds 001 and 004, 制证 to 证书管理: an approved 新办 is produced by an operator on the
/// order page (the CSR made on the key, the 锁序列号), and its applicant finds it under
/// 证书管理 and downloads it; `openssl verify` accepts the download against the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_new_order_produced_by_an_operator_is_downloadable_in_certificate_management() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let operator = app.staff(Role::Operator).await;
        let id = app
            .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
            .await;
        let work = Scratch::new("certdesk-csr");
        let csr = make_csr(&work.0);

        sign_in(&driver, &app, &operator).await?;
        driver.goto(format!("{}/orders/{id}", app.url)).await?;
        assert_eq!(status_of(&driver).await?, "待制证");
        type_into(&driver, "csr", &csr).await?;
        type_into(&driver, "token_serial", "HT-2026-0001").await?;
        click(&driver, "produce-submit").await?;
        driver.query(By::Css("p.notice")).first().await?;
        assert_eq!(status_of(&driver).await?, "已完成");
        let serial = driver
            .query(By::Css("#certificate-list td.serial"))
            .first()
            .await?
            .text()
            .await?;

        sign_out_and_in(&driver, &app, &org.admin).await?;
        driver
            .query(By::Css("nav a[href='/certificates']"))
            .first()
            .await?
            .click()
            .await?;
        let row = driver.query(By::Id("certificates")).first().await?.text().await?;
        assert!(row.contains(&serial) && row.contains("HT-2026-0001"), "{row}");
        driver.query(By::LinkText(&serial)).first().await?.click().await?;
        assert_eq!(text_of(&driver, "serial").await?, serial);

        // The downloads, fetched by the browser with its session, as a click would.
        let fetch = |id: &'static str| {
            let driver = driver.clone();
            async move {
                let link = driver.find(By::Id(id)).await?;
                let href = link.attr("href").await?.unwrap_or_default();
                let text = driver
                    .execute(
                        "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text());",
                        vec![serde_json::Value::String(href)],
                    )
                    .await?;
                Ok::<String, WebDriverError>(text.json().as_str().unwrap_or_default().to_owned())
            }
        };
        let pem = fetch("download-pem").await?;
        let chain = fetch("download-chain").await?;
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        std::fs::write(work.0.join("cert.pem"), &pem).unwrap();
        // The chain file: the certificate, the issuing CA, the root.
        let parts: Vec<&str> = chain
            .split_inclusive("-----END CERTIFICATE-----")
            .map(str::trim)
            .filter(|p| p.starts_with("-----BEGIN"))
            .collect();
        assert_eq!(parts.len(), 3, "{chain}");
        std::fs::write(work.0.join("issuing.pem"), parts[1]).unwrap();
        std::fs::write(work.0.join("root.pem"), parts[2]).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "cert.pem"])
            .current_dir(&work.0)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("cert.pem: OK"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    })
    .await;
}

/// Seeds 001 and 004: the holder binds the key's certificate on 绑定CA, then signs in with
/// CA登录. The USB-key tool's part (signing the code shown in the browser) is done here with
/// openssl and the key the certificate was issued for, through the same API calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_key_signs_in_with_the_code_on_the_ca_login_page() {
    in_browser(None, |driver, app| async move {
        let org = app.register_org().await;
        let operator = app.staff(Role::Operator).await;
        let id = app
            .order_awaiting_production(&org, "new", "org_master", "download", 1, "")
            .await;
        let work = Scratch::new("certdesk-certlogin");
        let csr = make_csr(&work.0);
        let (status, made) = app
            .api()
            .signed_in(&operator)
            .await
            .post(
                &format!("/api/v1/applications/{id}/production"),
                &serde_json::json!({ "csr": csr, "token_serial": "HT-7" }),
            )
            .await;
        assert_eq!(status, 201, "{made}");
        let serial = made["serial"].as_str().unwrap().to_owned();
        let certificate = made["certificate"].as_str().unwrap().to_owned();

        // What the tool does with a code: fetch the challenge, sign its message, answer.
        let sign = |code: String| {
            let app = &app;
            let work = &work;
            let certificate = certificate.clone();
            async move {
                let api = app.api();
                let (status, c) = api
                    .get(&format!("/api/v1/auth/certificate/challenges/{code}"))
                    .await;
                assert_eq!(status, 200, "{c}");
                std::fs::write(work.0.join("m.txt"), c["message"].as_str().unwrap()).unwrap();
                let out = std::process::Command::new("openssl")
                    .args([
                        "dgst", "-sha256", "-sign", "k.key", "-out", "m.sig", "m.txt",
                    ])
                    .current_dir(&work.0)
                    .output()
                    .unwrap();
                assert!(out.status.success());
                use base64::Engine as _;
                let signature = base64::engine::general_purpose::STANDARD
                    .encode(std::fs::read(work.0.join("m.sig")).unwrap());
                api.post(
                    &format!("/api/v1/auth/certificate/challenges/{code}/signature"),
                    &serde_json::json!({ "certificate": certificate, "signature": signature }),
                )
                .await
            }
        };

        // 绑定CA: the page shows a code; once the key signed it, the certificate is listed.
        sign_in(&driver, &app, &org.admin).await?;
        driver
            .query(By::Css("nav a[href='/account/certificates']"))
            .first()
            .await?
            .click()
            .await?;
        assert!(driver.find(By::Id("bindings-empty")).await.is_ok());
        click(&driver, "bind-start").await?;
        let code = text_of(&driver, "bind-code").await?;
        let (status, signed) = sign(code).await;
        assert_eq!(status, 200, "{signed}");
        driver
            .goto(format!("{}/account/certificates", app.url))
            .await?;
        let bound = driver
            .query(By::Id("bindings"))
            .first()
            .await?
            .text()
            .await?;
        assert!(bound.contains(&serial) && bound.contains("有效"), "{bound}");

        // CA登录: completing before the key signed says so; after, the session opens.
        click(&driver, "signout").await?;
        driver
            .query(By::Id("certlogin-tab"))
            .first()
            .await?
            .click()
            .await?;
        let code = text_of(&driver, "login-code").await?;
        click(&driver, "certlogin-submit").await?;
        let waiting = text_of(&driver, "form-error").await?;
        assert!(waiting.contains("尚未收到USB-KEY的签名"), "{waiting}");
        assert_eq!(text_of(&driver, "login-code").await?, code, "the same code");
        let (status, signed) = sign(code).await;
        assert_eq!(status, 200, "{signed}");
        click(&driver, "certlogin-submit").await?;
        let user = text_of(&driver, "current-user").await?;
        assert!(user.contains(&org.admin.name), "{user}");
        assert_eq!(path(&driver).await?, "/dashboard");
        Ok(())
    })
    .await;
}

/// A P-256 key and its CSR (PEM) made by openssl in `dir`, as on a USB key.
fn make_csr(dir: &std::path::Path) -> String {
    for args in [
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "k.key",
        ][..],
        &[
            "req", "-new", "-key", "k.key", "-subj", "/CN=x", "-out", "k.csr",
        ][..],
    ] {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::read_to_string(dir.join("k.csr")).unwrap()
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

/// Attaches `file` to every required 电子件 of the form; returns how many there were.
pub async fn attach_required(driver: &WebDriver, file: &std::path::Path) -> WebDriverResult<usize> {
    let rows = driver
        .query(By::Css("#documents .field"))
        .all_from_selector()
        .await?;
    let mut attached = 0;
    for row in rows {
        if row.find_all(By::Css("label .req")).await?.is_empty() {
            continue;
        }
        let input = row.find(By::Css("input[type=file]")).await?;
        input.send_keys(file.display().to_string()).await?;
        attached += 1;
    }
    Ok(attached)
}

pub async fn status_of(driver: &WebDriver) -> WebDriverResult<String> {
    text_of(driver, "order-status").await
}

/// Waits (the page polls and reloads itself) until the order shows `status`.
pub async fn wait_for_status(driver: &WebDriver, status: &str) -> WebDriverResult<()> {
    driver
        .query(By::Id("order-status"))
        // The page reloads itself: an element read as it is replaced is simply looked
        // up again.
        .ignore_errors(true)
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
    let filter = driver.query(By::Id("queue-filter")).first().await?;
    filter
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    // The unfiltered list may already show the order: wait for the filtered page, or
    // the click below may land on a row of the page being replaced.
    filter.wait_until().stale().await?;
    driver
        .query(By::Css(format!("tr[data-order='{number}'] a")))
        .first()
        .await?
        .click()
        .await?;
    driver.query(By::Id("review-form")).first().await?;
    Ok(())
}

/// The value an input, textarea or select holds now.
pub async fn value_of(driver: &WebDriver, id: &str) -> WebDriverResult<String> {
    Ok(driver
        .query(By::Id(id))
        .first()
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// Waits for the page's notice (the flash line under the title) to say `text`.
pub async fn wait_for_notice(driver: &WebDriver, text: &str) -> WebDriverResult<()> {
    driver
        .query(By::Css("p.notice"))
        .ignore_errors(true)
        .with_text(text.to_owned())
        .first()
        .await?;
    Ok(())
}

/// 网上支付 on the order page, then the payer opens the QR code's link on "another
/// device" (a second window, no session), confirms `amount`, and comes back.
pub async fn pay_in_cashier_window(driver: &WebDriver, amount: &str) -> WebDriverResult<()> {
    click(driver, "pay").await?;
    let cashier = driver
        .query(By::Id("code-url"))
        .first()
        .await?
        .attr("href")
        .await?
        .expect("the QR code's URL");
    let order_window = driver.window().await?;
    let payer = driver.new_window().await?;
    driver.switch_to_window(payer).await?;
    driver.goto(&cashier).await?;
    assert_eq!(text_of(driver, "cashier-amount").await?, amount);
    click(driver, "confirm-pay").await?;
    driver.query(By::Id("cashier-paid")).first().await?;
    driver.close_window().await?;
    driver.switch_to_window(order_window).await
}

/// 刷新支付状态 until the page says 支付成功. The page also polls and reloads itself once
/// the payment lands; a reload that replaces the page under the click only means the
/// click is made again on the new page.
pub async fn refresh_payment(driver: &WebDriver) -> WebDriverResult<()> {
    for _ in 0..3 {
        let button = driver.query(By::Id("refresh-payment")).first().await?;
        if button.click().await.is_err() {
            continue;
        }
        let done = driver
            .query(By::Css("p.notice"))
            .ignore_errors(true)
            .with_text("支付成功".to_owned())
            .wait(Duration::from_secs(5), Duration::from_millis(100))
            .exists()
            .await?;
        if done {
            return Ok(());
        }
    }
    wait_for_notice(driver, "支付成功").await
}

/// 通过 at `stage`, from 代办事宜; at 终审 the reviewer ticks 纸质材料已收到 first.
pub async fn approve(
    driver: &WebDriver,
    app: &TestApp,
    number: &str,
    stage: Stage,
) -> WebDriverResult<()> {
    open_from_queue(driver, app, number).await?;
    let (status, paper) = match stage {
        Stage::First => ("待初审", false),
        Stage::Final => ("待终审", true),
    };
    assert_eq!(status_of(driver).await?, status);
    let asks_paper = driver
        .query(By::Id("paper_received"))
        .nowait()
        .exists()
        .await?;
    assert_eq!(asks_paper, paper, "纸质材料已收到 is asked at 终审 only");
    if paper {
        click(driver, "paper_received").await?;
    }
    click(driver, "approve").await?;
    wait_for_notice(driver, "审核意见已提交").await?;
    assert_eq!(path(driver).await?, "/queue");
    Ok(())
}

pub enum Stage {
    First,
    Final,
}

/// The rows of 流程审批记录, each as its text.
pub async fn history_rows(driver: &WebDriver) -> WebDriverResult<Vec<String>> {
    let mut rows = Vec::new();
    for row in driver.find_all(By::Css("#history tbody tr")).await? {
        rows.push(row.text().await?);
    }
    Ok(rows)
}

/// Asserts that `parts` appear in `text`, in this order.
pub fn assert_in_order(text: &str, parts: &[&str]) {
    let mut from = 0;
    for part in parts {
        match text[from..].find(part) {
            Some(at) => from += at + part.len(),
            None => panic!("{parts:?} not in this order in: {text}"),
        }
    }
}

/// What the page's own JavaScript gets when it fetches a link (with the session).
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub disposition: String,
    pub body: Vec<u8>,
}

/// Fetches the link `id` from inside the page, with the browser's session cookie.
pub async fn fetch_link(driver: &WebDriver, id: &str) -> WebDriverResult<Fetched> {
    let ret = driver
        .execute(
            r#"
            const href = document.getElementById(arguments[0]).href;
            return fetch(href, {credentials: "same-origin", cache: "no-store"}).then(r =>
              r.arrayBuffer().then(b => ({
                status: r.status,
                type: r.headers.get("content-type") || "",
                disposition: r.headers.get("content-disposition") || "",
                body: Array.from(new Uint8Array(b)),
              })));
            "#,
            vec![serde_json::json!(id)],
        )
        .await?;
    let v = ret.json();
    Ok(Fetched {
        status: v["status"].as_u64().expect("a status") as u16,
        content_type: v["type"].as_str().unwrap_or_default().to_owned(),
        disposition: v["disposition"].as_str().unwrap_or_default().to_owned(),
        body: v["body"]
            .as_array()
            .expect("the body's bytes")
            .iter()
            .map(|b| b.as_u64().expect("a byte") as u8)
            .collect(),
    })
}

/// The text of a .docx's main part (its XML, which holds every run's text).
pub fn docx_text(docx: &[u8]) -> String {
    assert!(docx.starts_with(b"PK"), "not a .docx (zip) file");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .expect("UTF-8 XML");
    xml
}
