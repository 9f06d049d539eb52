//! Telling applicants what happened: in the app (the unread count in the header) and
//! by e-mail. E-mails are queued in the same transaction as the change (the outbox);
//! the outbox sender delivers them when SMTP is configured, and admins can read them.

use domain::application::{CertType, Status};
use domain::ids::{ApplicationId, UserId};
use jiff::Timestamp;
use serde::Serialize;
use store::AnyConnection;
use store::applications::ApplicationRecord;
use store::reminders::DueCertificate;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// The catalogue key of a status-change notification; its detail is `order|status|comment`.
pub const STATUS_CHANGED: &str = "notification.status_changed";

/// The catalogue key of an expiry reminder; its detail is `serial|cert_type|expires_on|days_left`.
pub const EXPIRY_REMINDER: &str = "notification.expiry_reminder";

/// The status in Chinese, for e-mails (the web catalogue has the same words).
pub fn status_zh(s: Status) -> &'static str {
    match s {
        Status::Draft => "草稿",
        Status::Returned => "已退回",
        Status::AwaitingPayment => "待支付",
        Status::AwaitingFirstReview => "待初审",
        Status::AwaitingFinalReview => "待终审",
        Status::AwaitingProduction => "待制证",
        Status::AwaitingShipment => "待发货",
        Status::AwaitingPickup => "待领取",
        Status::Shipped => "已发货",
        Status::Completed => "已完成",
        Status::Rejected => "已拒绝",
        Status::Withdrawn => "已撤回",
    }
}

/// The certificate type in Chinese, for e-mails (the same words as the web catalogue and
/// the .docx forms).
pub fn cert_type_zh(t: CertType) -> &'static str {
    match t {
        CertType::OrgMaster => "单位主锁",
        CertType::OrgStaff => "机构个人证书（项目负责人锁）",
        CertType::Personal => "个人证书",
        CertType::Seal => "电子签章",
    }
}

/// Where 延期 of a certificate starts: the 新增申请 form for a renewal of this type and
/// certificate (the form reads these parameters to prefill itself).
pub fn renew_path(cert_type: CertType, serial: &str) -> String {
    format!(
        "/orders/new?kind=renew&cert_type={}&certificate={serial}",
        cert_type.as_str()
    )
}

/// Whole days from `now` until `end`, rounded up: a certificate ending in 20 hours has 1 day left.
pub fn days_left(now: Timestamp, end: Timestamp) -> i64 {
    let secs = now.duration_until(end).as_secs();
    (secs + 86_399).div_euclid(86_400)
}

fn shanghai_date(t: Timestamp) -> String {
    match jiff::tz::TimeZone::get("Asia/Shanghai") {
        Ok(tz) => t.to_zoned(tz).strftime("%Y-%m-%d").to_string(),
        Err(_) => t.strftime("%Y-%m-%d").to_string(),
    }
}

/// Tells each of `recipients` that `cert` ends soon: a notification, and an e-mail (through
/// the outbox, in the caller's transaction) to those with an address, with the link that
/// starts 延期.
pub(crate) async fn expiry_reminder(
    app: &App,
    conn: &mut AnyConnection,
    recipients: &[UserId],
    cert: &DueCertificate,
) -> Result<(), Error> {
    let now = app.now();
    let expires_on = shanghai_date(cert.not_after);
    let left = days_left(now, cert.not_after);
    let detail = format!(
        "{}|{}|{}|{}",
        cert.serial,
        cert.cert_type.as_str(),
        expires_on,
        left
    );
    let link = format!(
        "{}{}",
        app.public_url,
        renew_path(cert.cert_type, &cert.serial)
    );
    let type_zh = cert_type_zh(cert.cert_type);
    let subject = format!("【CA证书办理】您的{type_zh}将于 {expires_on} 到期，请及时延期");
    let body = format!(
        "您好：\n\n您的{type_zh}（持有者：{holder}，证书序列号 {serial}）将于 {expires_on} 到期，\
         还剩 {left} 天。到期后证书不能再用于签名和登录，请及时办理延期。\n\n\
         办理延期：{link}\n\n如已办理，请忽略本邮件。此邮件由系统自动发送，请勿回复。\n",
        holder = cert.holder_name,
        serial = cert.serial,
    );
    for user in recipients {
        store::notifications::insert(conn, *user, None, now, EXPIRY_REMINDER, &detail).await?;
        let found = store::users::find(conn, *user).await?;
        if let Some(email) = found.and_then(|u| u.email) {
            store::notifications::enqueue_mail(conn, now, &email, &subject, &body).await?;
        }
    }
    Ok(())
}

pub(crate) async fn status_changed(
    app: &App,
    conn: &mut AnyConnection,
    record: &ApplicationRecord,
    to: Status,
    comment: &str,
) -> Result<(), Error> {
    let email = store::users::find(conn, record.applicant_id)
        .await?
        .and_then(|u| u.email);
    let (notification, mail) = status_changed_rows(app, record, to, comment, email.as_deref());
    store::notifications::insert(
        conn,
        notification.user,
        notification.application,
        notification.at,
        &notification.message_key,
        &notification.detail,
    )
    .await?;
    if let Some(m) = mail {
        store::notifications::enqueue_mail(conn, m.at, &m.to, &m.subject, &m.body).await?;
    }
    Ok(())
}

/// What [`status_changed`] writes, for a writer that inserts many at once: the applicant's
/// notification, and the e-mail to `email` (the applicant's address, if they gave one).
pub(crate) fn status_changed_rows(
    app: &App,
    record: &ApplicationRecord,
    to: Status,
    comment: &str,
    email: Option<&str>,
) -> (
    store::notifications::NewNotification,
    Option<store::notifications::NewMail>,
) {
    let now = app.now();
    let notification = store::notifications::NewNotification {
        user: record.applicant_id,
        application: Some(record.id),
        at: now,
        message_key: STATUS_CHANGED.to_owned(),
        detail: format!("{}|{}|{}", record.order_number, to.as_str(), comment),
    };
    let mail = email.map(|email| {
        let subject = format!(
            "【CA证书办理】订单 {} {}",
            record.order_number,
            status_zh(to)
        );
        let mut body = format!(
            "您好：\n\n您的CA证书办理订单 {} 当前状态为：{}。\n",
            record.order_number,
            status_zh(to)
        );
        if !comment.is_empty() {
            body.push_str(&format!("说明：{comment}\n"));
        }
        body.push_str(&format!(
            "\n查看订单：{}/orders/{}\n\n此邮件由系统自动发送，请勿回复。\n",
            app.public_url, record.id
        ));
        store::notifications::NewMail {
            at: now,
            to: email.to_owned(),
            subject,
            body,
        }
    });
    (notification, mail)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    #[schema(value_type = Option<String>)]
    pub application_id: Option<ApplicationId>,
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub message_key: String,
    pub order_number: String,
    /// The new status (key), for status changes.
    pub status: String,
    pub comment: String,
    pub read: bool,
    /// For expiry reminders: the certificate's serial (hex).
    pub certificate_serial: String,
    /// For expiry reminders: the day it ends (YYYY-MM-DD, Asia/Shanghai).
    pub expires_on: String,
    /// For expiry reminders: whole days left when the reminder was sent.
    pub days_left: Option<i64>,
    /// For expiry reminders: where 延期 starts (a path on this service).
    pub renew_link: Option<String>,
}

impl NotificationView {
    fn from_record(n: store::notifications::Notification) -> NotificationView {
        let mut view = NotificationView {
            application_id: n.application_id,
            at: n.at,
            message_key: String::new(),
            order_number: String::new(),
            status: String::new(),
            comment: String::new(),
            read: n.read,
            certificate_serial: String::new(),
            expires_on: String::new(),
            days_left: None,
            renew_link: None,
        };
        if n.message_key == EXPIRY_REMINDER {
            let mut parts = n.detail.splitn(4, '|');
            let serial = parts.next().unwrap_or_default().to_owned();
            let cert_type = CertType::parse(parts.next().unwrap_or_default()).ok();
            view.expires_on = parts.next().unwrap_or_default().to_owned();
            view.days_left = parts.next().and_then(|d| d.parse().ok());
            view.renew_link = cert_type.map(|t| renew_path(t, &serial));
            view.certificate_serial = serial;
        } else {
            let mut parts = n.detail.splitn(3, '|');
            view.order_number = parts.next().unwrap_or_default().to_owned();
            view.status = parts.next().unwrap_or_default().to_owned();
            view.comment = parts.next().unwrap_or_default().to_owned();
        }
        view.message_key = n.message_key;
        view
    }
}

pub async fn unread_count(app: &App, actor: &Actor) -> Result<u64, Error> {
    authorize(actor, Action::ViewNotifications)?;
    let mut conn = app.store.conn().await?;
    Ok(store::notifications::unread_count(&mut conn, actor.id).await?)
}

pub async fn recent(app: &App, actor: &Actor) -> Result<Vec<NotificationView>, Error> {
    authorize(actor, Action::ViewNotifications)?;
    let mut conn = app.store.conn().await?;
    let list = store::notifications::recent(&mut conn, actor.id, 50).await?;
    Ok(list
        .into_iter()
        .map(NotificationView::from_record)
        .collect())
}

pub async fn mark_all_read(app: &App, actor: &Actor) -> Result<(), Error> {
    authorize(actor, Action::ViewNotifications)?;
    let mut conn = app.store.conn().await?;
    store::notifications::mark_all_read(&mut conn, actor.id, app.now()).await?;
    Ok(())
}
