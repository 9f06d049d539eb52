//! 消息通知: the signed-in person's notifications; 邮件发件箱: the e-mail outbox (admins).

use app::notifications;
use app::outbox::{self, OutboxCounts};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{NoticeQuery, Page, SignedIn, app_error, local_date, ok, render};
use crate::AppState;
use crate::csrf::CsrfForm;

pub struct NotificationRow {
    /// The order page, when the notification is about an application.
    pub href: Option<String>,
    /// What the notification is about (status change, invoice), as a catalogue key.
    pub message_key: String,
    pub at: String,
    pub order_number: String,
    pub status_key: String,
    pub comment: String,
    pub read: bool,
    /// An expiry reminder: the certificate, its end, the days left and where 延期 starts.
    pub reminder: Option<ReminderRow>,
}

pub struct ReminderRow {
    pub serial: String,
    pub expires_on: String,
    pub days_left: String,
    pub renew_link: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct List {
    page: Page,
    rows: Vec<NotificationRow>,
    unread: usize,
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let items = match notifications::recent(&state.app, actor).await {
        Ok(items) => items,
        Err(e) => return app_error(visitor, &e),
    };
    let rows: Vec<NotificationRow> = items
        .into_iter()
        .map(|n| NotificationRow {
            href: n.application_id.map(|id| format!("/orders/{id}")),
            message_key: n.message_key.clone(),
            at: local_date(n.at),
            order_number: n.order_number,
            status_key: format!("notifications.status.{}", n.status),
            comment: n.comment,
            read: n.read,
            reminder: (n.message_key == notifications::EXPIRY_REMINDER).then(|| ReminderRow {
                serial: n.certificate_serial,
                expires_on: n.expires_on,
                days_left: n.days_left.map(|d| d.to_string()).unwrap_or_default(),
                renew_link: n.renew_link.unwrap_or_default(),
            }),
        })
        .collect();
    ok(&List {
        page: Page::new(visitor, "notifications.title").with_notice(q.notice.as_deref()),
        unread: rows.iter().filter(|r| !r.read).count(),
        rows,
    })
}

/// The form carries nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn mark_all_read(
    State(state): State<AppState>,
    signed_in: SignedIn,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    match notifications::mark_all_read(&state.app, actor).await {
        Ok(()) => Redirect::to("/notifications?notice=notice.notifications_read").into_response(),
        Err(e) => app_error(visitor, &e),
    }
}

pub struct MailRow {
    pub at: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub status_key: String,
    pub attempts: u32,
    pub sent_at: String,
    pub next_attempt_at: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct Outbox {
    page: Page,
    status: String,
    counts: OutboxCounts,
    rows: Vec<MailRow>,
}

#[derive(serde::Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
}

pub async fn outbox(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let SignedIn { actor, visitor } = &signed_in;
    let list = match outbox::list(&state.app, actor, &q.status).await {
        Ok(list) => list,
        Err(e) => return app_error(visitor, &e),
    };
    let when = |t: Option<jiff::Timestamp>| t.map(local_date).unwrap_or_default();
    render(
        StatusCode::OK,
        &Outbox {
            page: Page::new(visitor, "outbox.title"),
            status: q.status.trim().to_owned(),
            counts: list.counts,
            rows: list
                .mails
                .into_iter()
                .map(|m| MailRow {
                    at: local_date(m.at),
                    status_key: format!("outbox.status.{}", m.status),
                    sent_at: when(m.sent_at),
                    next_attempt_at: when(m.next_attempt_at),
                    to: m.to,
                    subject: m.subject,
                    body: m.body,
                    status: m.status,
                    attempts: m.attempts,
                    last_error: m.last_error.unwrap_or_default(),
                })
                .collect(),
        },
    )
}
