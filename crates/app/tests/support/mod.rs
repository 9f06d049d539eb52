//! The app on a fresh database with a clock the test moves.
#![allow(dead_code)]

use std::sync::Arc;

use app::accounts::{self, AccountFields, RegisterOrganisationInput, SignInInput};
use std::path::Path;

use app::applications::{
    self, ApplicationInput, ProduceInput, ReviewDecision, ReviewInput, StartInput, SubmitInput,
};
use app::{Actor, App, ManualClock, payments};
use domain::application::Status;
use domain::ident::{IdNumber, Uscc};
use domain::ids::ApplicationId;
use store::testing::TestDb;

pub struct World {
    pub app: App,
    pub clock: Arc<ManualClock>,
    _db: TestDb,
    _blobs: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        let db = TestDb::new().await;
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        let blob_dir = tempfile::tempdir().unwrap();
        let blobs = app::BlobStore::open(&blobs::BlobSettings::Local(blobs::LocalSettings {
            dir: blob_dir.path().to_path_buf(),
        }))
        .await
        .unwrap();
        let app =
            App::new(db.store().await, blobs, "http://certdesk.test").with_clock(clock.clone());
        World {
            app,
            clock,
            _db: db,
            _blobs: blob_dir,
        }
    }

    /// Signs in and returns the actor the session carries.
    pub async fn sign_in(&self, mobile: &str, password: &str) -> Actor {
        let s = accounts::sign_in(
            &self.app,
            &SignInInput {
                mobile: mobile.into(),
                password: password.into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("sign in {mobile}: {e:?}"));
        accounts::authenticate(&self.app, &s.token)
            .await
            .unwrap()
            .unwrap()
            .actor
    }

    pub async fn user_count(&self) -> i64 {
        let mut conn = self.app.store().conn().await.unwrap();
        store::users::count(&mut conn).await.unwrap()
    }
}

pub fn mobile(n: u32) -> String {
    format!("137{n:08}")
}

pub fn uscc(n: u32) -> String {
    let first17 = format!("91330100{n:09}");
    format!("{first17}{}", Uscc::check_char(&first17).unwrap())
}

pub fn id_number(n: u32) -> String {
    let first17 = format!("11010519900101{:03}", n % 1000);
    format!("{first17}{}", IdNumber::check_char(&first17).unwrap())
}

/// What the registering person signs in with.
pub fn credentials(input: &RegisterOrganisationInput) -> SignInInput {
    SignInInput {
        mobile: input.account.mobile.clone(),
        password: input.account.password.clone(),
    }
}

pub fn org_input(n: u32) -> RegisterOrganisationInput {
    RegisterOrganisationInput {
        account: AccountFields {
            mobile: mobile(n),
            password: "Passw0rd-1".into(),
            password_confirm: "Passw0rd-1".into(),
            name: format!("经办人{n}"),
            email: format!("h{n}@example.com"),
        },
        org_name: format!("测试单位{n}"),
        org_type: "supplier".into(),
        has_uscc: true,
        uscc: uscc(n),
        registration_authority: "杭州市市场监督管理局".into(),
        region: "浙江省本级".into(),
        address: "杭州市西湖区".into(),
        legal_representative: "李四".into(),
    }
}

impl World {
    /// Registers organisation `n` and signs its admin in.
    pub async fn org(&self, n: u32) -> Actor {
        let input = org_input(n);
        accounts::register_organisation(&self.app, &input)
            .await
            .unwrap();
        let c = credentials(&input);
        self.sign_in(&c.mobile, &c.password).await
    }

    /// A staff member of `role` (reviewer, operator, finance, admin), signed in.
    pub async fn staff(&self, n: u32, role: &str) -> Actor {
        let input = app::admin::CreateUserInput {
            mobile: mobile(9_000_000 + n),
            name: format!("{role}{n}"),
            role: role.into(),
            email: String::new(),
            password: "Passw0rd-staff".into(),
        };
        app::admin::create_user(&self.app, &Actor::system(), &input)
            .await
            .unwrap();
        self.sign_in(&input.mobile, &input.password).await
    }
}

/// The smallest files of each type the content check accepts.
pub const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
pub const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

impl World {
    /// This world with a P-256 CA (soft keys, a low PBKDF2 count for speed).
    pub async fn with_ca(mut self) -> World {
        let keys = app::ca::KeySource::File {
            passphrase: "test-ca-passphrase".to_owned().into(),
            kdf_iterations: 1_000,
        };
        app::ca::init(
            &self.app,
            &Actor::system(),
            &keys,
            &app::ca::InitOptions::default(),
        )
        .await
        .unwrap();
        let ca = app::ca::load(&self.app, &keys).await.unwrap();
        self.app = self.app.clone().with_ca(ca);
        self
    }
}

/// Runs openssl in `dir`; its stdout, or a panic with what it said.
pub fn openssl(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

/// A fresh P-256 key made by openssl in `dir`, and a PEM CSR on it.
pub fn csr(dir: &std::path::Path, name: &str) -> String {
    let key = format!("{name}.key");
    let req = format!("{name}.csr");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            "/CN=ignored",
            "-out",
            &req,
        ],
    );
    std::fs::read_to_string(dir.join(req)).unwrap()
}

impl World {
    /// An active 办理点; its id.
    pub async fn service_point(&self, name: &str) -> String {
        app::admin::config::create_service_point(
            &self.app,
            &Actor::system(),
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

// Orders taken to production and produced, for the tests that need a certificate.

pub fn start(kind: &str, cert_type: &str, channel: &str) -> StartInput {
    StartInput {
        kind: kind.into(),
        cert_type: cert_type.into(),
        channel: channel.into(),
        agree_terms: "yes".into(),
        ..StartInput::default()
    }
}

pub fn filled(delivery: &str, quantity: u32) -> ApplicationInput {
    ApplicationInput {
        handler_name: "张三".into(),
        handler_id_number: id_number(7),
        handler_mobile: mobile(77),
        handler_email: "zhangsan@example.com".into(),
        quantity: quantity.to_string(),
        years: "1".into(),
        delivery: delivery.into(),
        mail_address: "杭州市西湖区转塘街道1号".into(),
        mail_recipient: "张三".into(),
        mail_phone: mobile(78),
        ..ApplicationInput::default()
    }
}

pub async fn upload_required(w: &World, who: &Actor, id: ApplicationId) {
    let view = applications::view(&w.app, who, id).await.unwrap();
    for r in view.requirements.iter().filter(|r| r.required) {
        applications::upload_document(&w.app, who, id, &r.document_kind, "scan.png", PNG)
            .await
            .unwrap();
    }
}

pub async fn submit(w: &World, who: &Actor, id: ApplicationId, form: ApplicationInput) {
    upload_required(w, who, id).await;
    applications::submit(
        &w.app,
        who,
        id,
        &SubmitInput {
            form,
            acknowledge: "yes".into(),
            version: None,
        },
    )
    .await
    .unwrap();
}

pub async fn status(w: &World, who: &Actor, id: ApplicationId) -> Status {
    applications::view(&w.app, who, id).await.unwrap().status
}

/// Pays and approves whatever the order waits for, until it is at 待制证.
pub async fn to_production(w: &World, who: &Actor, reviewer: &Actor, id: ApplicationId) {
    for _ in 0..6 {
        match status(w, who, id).await {
            Status::AwaitingProduction => return,
            Status::AwaitingPayment => {
                let p = payments::pay(&w.app, who, id, None).await.unwrap();
                let trade = p.code_url.rsplit('/').next().unwrap().to_owned();
                payments::sandbox_confirm(&w.app, &trade).await.unwrap();
            }
            Status::AwaitingFirstReview | Status::AwaitingFinalReview => {
                applications::review(
                    &w.app,
                    reviewer,
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
                .unwrap();
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    panic!("not at production");
}

pub fn with_csr(pem: String, token: &str) -> ProduceInput {
    ProduceInput {
        csr: pem,
        token_serial: token.into(),
        ..ProduceInput::default()
    }
}

pub async fn produced(w: &World, org: &Actor, n: u32, dir: &Path) -> (ApplicationId, String) {
    let reviewer = w.staff(100 + n, "reviewer").await;
    let operator = w.staff(200 + n, "operator").await;
    let id = applications::start(&w.app, org, &start("new", "org_master", "online"))
        .await
        .unwrap();
    submit(w, org, id, filled("download", 1)).await;
    to_production(w, org, &reviewer, id).await;
    let made = applications::produce(
        &w.app,
        &operator,
        id,
        &with_csr(csr(dir, &format!("base{n}")), ""),
    )
    .await
    .unwrap();
    assert_eq!(
        status(w, org, id).await,
        Status::Completed,
        "downloaded: nothing to deliver"
    );
    (id, made.certificate.unwrap().serial)
}
