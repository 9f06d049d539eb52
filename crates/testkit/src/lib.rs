//! The test harness every capability extends.
//!
//! ```ignore
//! let app = TestApp::start().await;          // its own server on its own database
//! let org = app.register_org().await;        // a fresh organisation and its admin
//! let api = app.api().signed_in(&org.admin).await;
//! let me = api.get("/api/v1/me").await;
//! let reviewer = app.staff(Role::Reviewer).await;
//! ```
//!
//! The backend is chosen by `CERTDESK_TEST_DATABASE` (`sqlite`, the default, or `postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod clients;
pub mod ids;
pub mod openssl;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub use clients::{ApiClient, Download, Page, WebClient};
use domain::account::Role;
use serde_json::{Value, json};
pub use store::testing::Rows;
use store::testing::TestDb;

/// A running certdesk on its own database, stopped when dropped.
pub struct TestApp {
    pub url: String,
    pub app: app::App,
    pub clock: Arc<app::ManualClock>,
    server: tokio::task::JoinHandle<()>,
    ca_watch: tokio::task::JoinHandle<()>,
    next: AtomicU32,
    // Last: the database is dropped after the server has stopped.
    _db: TestDb,
    _blobs: tempfile::TempDir,
}

/// Someone who can sign in.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub mobile: String,
    pub password: String,
    pub name: String,
}

/// An organisation registered in a test, with its admin.
#[derive(Clone, Debug)]
pub struct OrgFixture {
    pub id: String,
    pub name: String,
    pub uscc: String,
    pub admin: Credentials,
}

pub const PASSWORD: &str = "Passw0rd-test";

impl TestApp {
    pub async fn start() -> TestApp {
        TestApp::start_with_payments(|_| Vec::new()).await
    }

    /// A certdesk whose payment providers `providers` makes, given the server's URL (for
    /// notification URLs: `{url}/pay/notify/{provider}`); none keeps the sandbox.
    pub async fn start_with_payments(
        providers: impl FnOnce(&str) -> Vec<Arc<dyn app::payments::Provider>>,
    ) -> TestApp {
        let db = TestDb::new().await;
        let store = db.store().await;
        let clock = Arc::new(app::ManualClock::new(jiff::Timestamp::now()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let blob_dir = tempfile::tempdir().unwrap();
        let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
            dir: blob_dir.path().to_path_buf(),
        }))
        .await
        .unwrap();
        let app = app::App::new(store, blobs, &url)
            .with_clock(clock.clone())
            .with_payments(providers(&url));
        let app = with_test_ca(app).await;
        let ca_watch = tokio::spawn(app::ca::watch::watch(
            app.clone(),
            std::time::Duration::from_millis(500),
        ));
        let router = web::router(web::AppState::new(app.clone(), web::WebConfig::default()));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        TestApp {
            url,
            app,
            clock,
            server,
            ca_watch,
            next: AtomicU32::new(1),
            _db: db,
            _blobs: blob_dir,
        }
    }

    /// The actor a session of `who` carries, for calling `app` functions directly.
    pub async fn actor(&self, who: &Credentials) -> app::Actor {
        let session = app::accounts::sign_in(
            &self.app,
            &app::accounts::SignInInput {
                mobile: who.mobile.clone(),
                password: who.password.clone(),
            },
        )
        .await
        .unwrap();
        app::accounts::authenticate(&self.app, &session.token)
            .await
            .unwrap()
            .unwrap()
            .actor
    }

    /// A number unique within this test, for mobiles and codes.
    pub fn unique(&self) -> u32 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub fn mobile(&self) -> String {
        ids::mobile(self.unique())
    }

    /// A JSON API client, not signed in.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(&self.url)
    }

    /// A browser-like client with a cookie jar, not signed in.
    pub fn web(&self) -> WebClient {
        WebClient::new(&self.url)
    }

    /// The JSON body of a valid 主体注册 with fresh identifiers.
    pub fn org_registration(&self) -> Value {
        let n = self.unique();
        json!({
            "mobile": ids::mobile(n),
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "name": format!("经办人{n}"),
            "email": format!("handler{n}@example.com"),
            "org_name": format!("测试采购单位{n}"),
            "org_type": "purchaser",
            "has_uscc": true,
            "uscc": ids::uscc(n),
            "registration_authority": "杭州市市场监督管理局",
            "region": "浙江省本级",
            "address": "杭州市西湖区转塘街道1号",
            "legal_representative": format!("法人{n}"),
        })
    }

    /// Registers an organisation through the API; its admin can sign in with [`PASSWORD`].
    pub async fn register_org(&self) -> OrgFixture {
        let body = self.org_registration();
        let (status, created) = self
            .api()
            .post("/api/v1/accounts/organisation", &body)
            .await;
        assert_eq!(status, 201, "register organisation: {created}");
        OrgFixture {
            id: created["organisation_id"].as_str().unwrap().to_owned(),
            name: body["org_name"].as_str().unwrap().to_owned(),
            uscc: body["uscc"].as_str().unwrap().to_owned(),
            admin: Credentials {
                mobile: body["mobile"].as_str().unwrap().to_owned(),
                password: PASSWORD.to_owned(),
                name: body["name"].as_str().unwrap().to_owned(),
            },
        }
    }

    /// Registers an individual (个人) through the API.
    pub async fn register_individual(&self) -> Credentials {
        let n = self.unique();
        let body = json!({
            "mobile": ids::mobile(n),
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "name": format!("个人{n}"),
            "id_number": ids::id_number(n),
        });
        let (status, created) = self.api().post("/api/v1/accounts/individual", &body).await;
        assert_eq!(status, 201, "register individual: {created}");
        Credentials {
            mobile: body["mobile"].as_str().unwrap().to_owned(),
            password: PASSWORD.to_owned(),
            name: body["name"].as_str().unwrap().to_owned(),
        }
    }

    /// A staff account of `role`, created as `certdesk admin create-user` would.
    pub async fn staff(&self, role: Role) -> Credentials {
        let n = self.unique();
        let c = Credentials {
            mobile: ids::mobile(n),
            password: PASSWORD.to_owned(),
            name: format!("{}{n}", role.as_str()),
        };
        app::admin::create_user(
            &self.app,
            &app::Actor::system(),
            &app::admin::CreateUserInput {
                mobile: c.mobile.clone(),
                name: c.name.clone(),
                role: role.as_str().to_owned(),
                email: String::new(),
                password: c.password.clone(),
            },
        )
        .await
        .unwrap();
        c
    }

    /// An active 办理点 (service point) named `name`, as an admin would enter it; returns
    /// its id, which the form's 办理点 select offers as a value.
    pub async fn service_point(&self, name: &str) -> String {
        app::admin::config::create_service_point(
            &self.app,
            &app::Actor::system(),
            &app::admin::config::ServicePointInput {
                name: name.to_owned(),
                address: format!("{name}服务大厅1号窗口"),
                hours: "工作日 9:00-17:00".into(),
                phone: "0571-88000000".into(),
                active: "yes".into(),
            },
        )
        .await
        .unwrap()
        .to_text()
    }
}

impl TestApp {
    /// How many rows of `what` the application `id` has (one record per double click).
    pub async fn count(&self, what: Rows, id: &str) -> i64 {
        store::testing::count_rows(self.app.store(), what, id).await
    }

    /// The payer confirms in the sandbox cashier the trade that `code_url` carries.
    pub async fn confirm_sandbox_payment(&self, code_url: &str) {
        let trade = code_url.rsplit('/').next().unwrap();
        app::payments::sandbox_confirm(&self.app, trade)
            .await
            .unwrap();
    }
}

/// The passphrase of the harness's CA keys.
pub const CA_PASSPHRASE: &str = "test CA passphrase";

/// The harness's key source: soft keys under [`CA_PASSPHRASE`], with a PBKDF2 count low
/// enough for tests (production writes 600,000).
pub fn test_key_source() -> app::ca::KeySource {
    app::ca::KeySource::File {
        passphrase: CA_PASSPHRASE.to_owned().into(),
        kdf_iterations: 1_000,
    }
}

/// Creates a P-256 CA (soft keys) in the app's database and loads it.
pub async fn with_test_ca(app: app::App) -> app::App {
    let keys = test_key_source();
    app::ca::init(
        &app,
        &app::Actor::system(),
        &keys,
        &app::ca::InitOptions::default(),
    )
    .await
    .unwrap();
    let ca = app::ca::load(&app, &keys).await.unwrap();
    app.with_ca(ca)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        self.ca_watch.abort();
    }
}

/// The smallest PNG the upload check accepts, for documents in tests.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

impl TestApp {
    /// An order of `org`'s, 网上办理, filled, paid and approved: waiting at 待制证. `kind` is
    /// new, renew, replace, change, inspect or cancel (`certificate` names the certificate
    /// concerned); `delivery` mail, pickup or download. Returns its id.
    pub async fn order_awaiting_production(
        &self,
        org: &OrgFixture,
        kind: &str,
        cert_type: &str,
        delivery: &str,
        quantity: u32,
        certificate: &str,
    ) -> String {
        self.advance_order(
            org,
            kind,
            cert_type,
            delivery,
            quantity,
            certificate,
            "awaiting_production",
        )
        .await
    }

    /// An order of `org`'s, 网上办理, filled (and approved where its procedure reviews
    /// before payment): waiting at 待支付. Arguments as for
    /// [`TestApp::order_awaiting_production`].
    pub async fn order_awaiting_payment(
        &self,
        org: &OrgFixture,
        kind: &str,
        cert_type: &str,
        delivery: &str,
        quantity: u32,
        certificate: &str,
    ) -> String {
        self.advance_order(
            org,
            kind,
            cert_type,
            delivery,
            quantity,
            certificate,
            "awaiting_payment",
        )
        .await
    }

    /// Starts, fills and submits an order, then pays (in the sandbox) and approves it
    /// until it stands at `until`.
    #[allow(clippy::too_many_arguments)]
    async fn advance_order(
        &self,
        org: &OrgFixture,
        kind: &str,
        cert_type: &str,
        delivery: &str,
        quantity: u32,
        certificate: &str,
        until: &str,
    ) -> String {
        use app::applications::{self, ApplicationInput, ReviewDecision, ReviewInput};
        let who = self.actor(&org.admin).await;
        let reviewer = self.actor(&self.staff(Role::Reviewer).await).await;
        let id = applications::start(
            &self.app,
            &who,
            &applications::StartInput {
                kind: kind.into(),
                cert_type: cert_type.into(),
                channel: "online".into(),
                agree_terms: "yes".into(),
                certificate: certificate.into(),
            },
        )
        .await
        .unwrap();
        let n = self.unique();
        let point = if delivery == "pickup" {
            self.service_point(&format!("办理点{n}")).await
        } else {
            String::new()
        };
        let form = ApplicationInput {
            handler_name: "张经办".into(),
            handler_id_number: ids::id_number(n),
            handler_mobile: ids::mobile(n),
            handler_email: format!("h{n}@example.com"),
            quantity: quantity.to_string(),
            years: "1".into(),
            delivery: delivery.into(),
            mail_address: "杭州市西湖区文三路90号".into(),
            mail_recipient: "收件人".into(),
            mail_phone: ids::mobile(n + 1),
            service_point: point,
            certificate_serial: certificate.into(),
            replace_reason: "USB-KEY 遗失".into(),
            replace_cause: "lost".into(),
            change_details: "单位名称变更".into(),
            ..ApplicationInput::default()
        };
        let view = applications::view(&self.app, &who, id).await.unwrap();
        for r in view.requirements.iter().filter(|r| r.required) {
            applications::upload_document(&self.app, &who, id, &r.document_kind, "scan.png", PNG)
                .await
                .unwrap();
        }
        applications::submit(
            &self.app,
            &who,
            id,
            &applications::SubmitInput {
                form,
                acknowledge: "yes".into(),
                version: None,
            },
        )
        .await
        .unwrap();
        for _ in 0..6 {
            let v = applications::view(&self.app, &who, id).await.unwrap();
            if v.status.as_str() == until {
                return id.to_text();
            }
            match v.status.as_str() {
                "awaiting_payment" => {
                    let p = app::payments::pay(&self.app, &who, id, None).await.unwrap();
                    let trade = p.code_url.rsplit('/').next().unwrap().to_owned();
                    app::payments::sandbox_confirm(&self.app, &trade)
                        .await
                        .unwrap();
                }
                _ => applications::review(
                    &self.app,
                    &reviewer,
                    id,
                    ReviewDecision::Approve,
                    &ReviewInput {
                        paper_received: "yes".into(),
                        overdue_months: "0".into(),
                        overdue_fee: "0".into(),
                        ..ReviewInput::default()
                    },
                )
                .await
                .unwrap(),
            }
        }
        panic!("order {id} did not reach {until}");
    }
}
