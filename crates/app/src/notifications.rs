//! Telling applicants what happened: in the app (the unread count in the header) and
//! by e-mail. E-mails are queued in the same transaction as the change (the outbox);
//! the outbox sender delivers them when SMTP is configured, and admins can read them.

use domain::application::Status;
use domain::ids::ApplicationId;
use jiff::Timestamp;
use serde::Serialize;
use store::AnyConnection;
use store::applications::ApplicationRecord;

use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// The catalogue key of a status-change notification; its detail is `order|status|comment`.
pub const STATUS_CHANGED: &str = "notification.status_changed";

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

pub(crate) async fn status_changed(
    app: &App,
    conn: &mut AnyConnection,
    record: &ApplicationRecord,
    to: Status,
    comment: &str,
) -> Result<(), Error> {
    let now = app.now();
    let detail = format!("{}|{}|{}", record.order_number, to.as_str(), comment);
    store::notifications::insert(
        conn,
        record.applicant_id,
        Some(record.id),
        now,
        STATUS_CHANGED,
        &detail,
    )
    .await?;
    let user = store::users::find(conn, record.applicant_id).await?;
    if let Some(email) = user.and_then(|u| u.email) {
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
        store::notifications::enqueue_mail(conn, now, &email, &subject, &body).await?;
    }
    Ok(())
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
        .map(|n| {
            let mut parts = n.detail.splitn(3, '|');
            NotificationView {
                application_id: n.application_id,
                at: n.at,
                message_key: n.message_key,
                order_number: parts.next().unwrap_or_default().to_owned(),
                status: parts.next().unwrap_or_default().to_owned(),
                comment: parts.next().unwrap_or_default().to_owned(),
                read: n.read,
            }
        })
        .collect())
}

pub async fn mark_all_read(app: &App, actor: &Actor) -> Result<(), Error> {
    authorize(actor, Action::ViewNotifications)?;
    let mut conn = app.store.conn().await?;
    store::notifications::mark_all_read(&mut conn, actor.id, app.now()).await?;
    Ok(())
}
