//! Headless Chromium for the browser tests: each test gets its own chromedriver (on a
//! free port), its own Chromium profile and its own certdesk on its own database, so
//! the tests run in parallel. Needs /usr/bin/chromium and /usr/bin/chromedriver
//! (scripts/test.sh installs them); without them the tests fail, unless
//! CERTDESK_SKIP_BROWSER=1 says to skip them.
#![allow(dead_code)]

use std::future::Future;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testkit::TestApp;
use thirtyfour::extensions::query::ElementPollerWithTimeout;
use thirtyfour::prelude::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a query waits for an element to appear (a page to load).
pub const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

pub type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn type_into(driver: &WebDriver, id: &str, value: &str) -> WebDriverResult<()> {
    let input = driver.query(By::Id(id)).first().await?;
    input.clear().await?;
    input.send_keys(value).await
}

/// The path of the page the browser shows.
/// Waits for the element with `id`, then clicks it.
pub async fn click(driver: &WebDriver, id: &str) -> WebDriverResult<()> {
    driver.query(By::Id(id)).first().await?.click().await
}

/// Waits for the element with `id`, then reads its text.
pub async fn text_of(driver: &WebDriver, id: &str) -> WebDriverResult<String> {
    driver.query(By::Id(id)).first().await?.text().await
}

pub async fn path(driver: &WebDriver) -> WebDriverResult<String> {
    Ok(driver.current_url().await?.path().to_owned())
}

// ---------------------------------------------------------------------------
// The browser

/// Runs `test` in a fresh headless Chromium against a fresh certdesk, then quits the
/// browser whatever happened, and only then reports the test's failure, if any.
pub async fn in_browser<F, Fut>(window: Option<(u32, u32)>, test: F)
where
    F: FnOnce(WebDriver, TestApp) -> Fut,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let Some(chromedriver) = ChromeDriver::start().await else {
        return;
    };
    let profile = Scratch::new("certdesk-browser-profile");
    let driver = open_browser(&chromedriver, &profile.0).await;
    if let Some((width, height)) = window {
        driver
            .set_window_rect(0, 0, width, height)
            .await
            .expect("resize the window");
    }
    let app = TestApp::start().await;

    // Spawned so that a failed assertion (a panic) comes back here as a value.
    let outcome = tokio::spawn(test(driver.clone(), app)).await;
    let seen_at = driver.current_url().await.map(|u| u.to_string());
    let quit = driver.quit().await;
    drop(chromedriver);
    drop(profile);

    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("browser test failed at {seen_at:?}: {e}"),
        Err(e) if e.is_panic() => {
            eprintln!("browser test failed at {seen_at:?}");
            std::panic::resume_unwind(e.into_panic())
        }
        Err(e) => panic!("browser test did not finish: {e}"),
    }
    quit.expect("quit the browser");
}

pub async fn open_browser(chromedriver: &ChromeDriver, profile: &Path) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM).expect("chrome binary");
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1280,900",
    ] {
        caps.add_arg(arg).expect("chrome argument");
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))
        .expect("chrome argument");
    WebDriver::builder(&chromedriver.url, caps)
        .poller(Arc::new(ElementPollerWithTimeout::new(WAIT, POLL)))
        .request_timeout(Duration::from_secs(60))
        .await
        .expect("start a Chromium session through chromedriver")
}

/// A chromedriver of our own, killed (with any browser it left behind) when dropped.
pub struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port; `None` when it is missing and
    /// CERTDESK_SKIP_BROWSER=1 allows skipping.
    async fn start() -> Option<ChromeDriver> {
        for binary in [CHROMEDRIVER, CHROMIUM] {
            if !Path::new(binary).exists() {
                if std::env::var("CERTDESK_SKIP_BROWSER").as_deref() == Ok("1") {
                    eprintln!(
                        "NOTICE: {binary} is missing; browser test skipped (CERTDESK_SKIP_BROWSER=1)"
                    );
                    return None;
                }
                panic!(
                    "{binary} is missing: run scripts/test.sh, which installs chromium, \
                     chromium-driver and fonts-noto-cjk (or set CERTDESK_SKIP_BROWSER=1 to skip \
                     the browser tests)"
                );
            }
        }
        // The free port may be taken by someone else before chromedriver binds it.
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start().await {
                Ok(driver) => return Some(driver),
                Err(e) => last_error = e,
            }
        }
        panic!("chromedriver did not start: {last_error}");
    }

    async fn try_start() -> Result<ChromeDriver, String> {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that dropping it can end the browsers it started.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("run {CHROMEDRIVER}: {e}"))?;
        let mut driver = ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_until_ready().await?;
        Ok(driver)
    }

    /// Waits up to ~10 s for `/status` to answer.
    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let status = format!("{}/status", self.url);
        let deadline = Instant::now() + Duration::from_secs(10);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("chromedriver exited early: {exit}"));
            }
            if let Ok(res) = http.get(&status).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("{status} did not answer within 10 s"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let group = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Anything still in its group is a browser an aborted session left behind.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A directory of our own under the system temp dir, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(prefix: &str) -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
