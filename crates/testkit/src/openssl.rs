//! openssl, as the tests' independent second implementation: keys and CSRs made the way
//! a holder's tooling makes them, and checks run on what certdesk hands out.

use std::path::Path;
use std::process::Command;

/// Runs openssl in `dir`; its stdout and stderr, or a panic with what it said.
pub fn run(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

/// A fresh P-256 key `{name}.key` made by openssl in `dir`, and a PEM CSR `{name}.csr` on it.
pub fn p256_csr(dir: &Path, name: &str) -> String {
    let key = format!("{name}.key");
    let req = format!("{name}.csr");
    run(
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
    run(
        dir,
        &["req", "-new", "-key", &key, "-subj", "/CN=x", "-out", &req],
    );
    std::fs::read_to_string(dir.join(req)).expect("openssl wrote the CSR")
}
