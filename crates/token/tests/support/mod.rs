//! The child-process harness for SoftHSM2 tests.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once, when the module is initialised, and the variable is
//! process-wide (setting it needs `unsafe` in edition 2024): each test therefore makes its
//! own configuration and tokens, then re-runs itself as a child process with that
//! environment. The tests fail (they do not skip) when SoftHSM2 is missing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

pub use token::testing::*;

const CHILD: &str = "CERTDESK_TOKEN_SOFTHSM_CHILD";

/// In the parent: init one token per label, re-run `test` in a child with `SOFTHSM2_CONF`,
/// expect it to pass, return false. In the child: return true, and the test does its work.
pub fn in_softhsm(test: &str, labels: &[&str]) -> bool {
    if std::env::var(CHILD).is_ok() {
        return true;
    }
    assert!(
        Path::new(MODULE).exists(),
        "SoftHSM2 is not installed ({MODULE}): apt-get install softhsm2"
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm_conf(dir.path(), labels);
    let child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(
        child.status.success() && out.contains("1 passed"),
        "child test failed:\n{out}"
    );
    false
}
