//! A fresh database per test, on the backend that `CERTDESK_TEST_DATABASE` names:
//! `sqlite` (default; a file in a temporary directory) or `postgres` (a new database
//! on the server at `CERTDESK_TEST_POSTGRES_URL`, default 127.0.0.1:5432, dropped
//! when the `TestDb` is dropped).

use sqlx::{Connection, Executor};

use crate::{Backend, Store};

pub const BACKEND_VAR: &str = "CERTDESK_TEST_DATABASE";
pub const POSTGRES_URL_VAR: &str = "CERTDESK_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDb {
    url: String,
    place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// The backend the test run is for.
pub fn backend() -> Backend {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

impl TestDb {
    /// Creates an empty database. Panics when it cannot: a test without its database cannot run.
    #[allow(clippy::expect_used)]
    pub async fn new() -> TestDb {
        sqlx::any::install_default_drivers();
        match backend() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    place: Place::Sqlite(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR)
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
                let name = format!("certdesk_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .expect("PostgreSQL for tests (set CERTDESK_TEST_POSTGRES_URL)");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let url = match admin_url.rfind('/') {
                    Some(i) => format!("{}/{name}", &admin_url[..i]),
                    None => panic!("PostgreSQL url without a database: {admin_url}"),
                };
                TestDb {
                    url,
                    place: Place::Postgres { admin_url, name },
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connected, migrated store on this database.
    #[allow(clippy::expect_used)]
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url)
            .await
            .expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Place::Postgres { admin_url, name } = &self.place {
            let admin_url = admin_url.clone();
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            // Drop runs outside any async context we could borrow: use a thread with its own runtime.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(async {
                    let mut conn = sqlx::AnyConnection::connect(&admin_url)
                        .await
                        .map_err(|e| e.to_string())?;
                    conn.execute(sql.as_str())
                        .await
                        .map_err(|e| e.to_string())?;
                    conn.close().await.map_err(|e| e.to_string())
                })
            })
            .join();
            if let Ok(Err(e)) = dropped {
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// What a test can count per application, to check that a double click made one record.
#[derive(Clone, Copy, Debug)]
pub enum Rows {
    Payments,
    Documents,
    Events,
    SandboxTrades,
}

/// How many rows of `what` belong to the application `application_id`.
#[allow(clippy::expect_used)]
pub async fn count_rows(store: &Store, what: Rows, application_id: &str) -> i64 {
    let sql = match what {
        Rows::Payments => "SELECT COUNT(*) FROM payments WHERE application_id = $1",
        Rows::Documents => "SELECT COUNT(*) FROM documents WHERE application_id = $1",
        Rows::Events => "SELECT COUNT(*) FROM application_events WHERE application_id = $1",
        Rows::SandboxTrades => {
            "SELECT COUNT(*) FROM sandbox_trades WHERE out_trade_no IN \
             (SELECT out_trade_no FROM payments WHERE application_id = $1)"
        }
    };
    let mut conn = store.conn().await.expect("test database connection");
    sqlx::query_scalar::<_, i64>(sql)
        .bind(application_id.to_owned())
        .fetch_one(&mut *conn)
        .await
        .expect("count rows")
}
