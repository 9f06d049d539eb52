//! The CRL benchmark: many revoked certificates seeded in bulk, then the CRL published
//! through the app (`app::ca::crl::regenerate`: the rows walked in serial order, the CRL
//! written, signed, stored and served), timed.

use std::time::{Duration, Instant};

use app::{Actor, App};
use domain::ids::CertificateId;
use store::Store;
use store::bulk::{self, RevokedCertificateRow};

/// Rows per transaction.
const BATCH: usize = 50_000;
const REASONS: [&str; 4] = [
    "keyCompromise",
    "superseded",
    "cessationOfOperation",
    "affiliationChanged",
];

/// Seeds `count` revoked certificates of the stored issuing CA, with random 64-bit+
/// serials and revocation times spread over the last year.
pub async fn seed_revoked(store: &Store, count: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let issuer = {
        let mut conn = store.conn().await?;
        store::ca::authority(&mut conn, store::ca::AuthorityRole::Issuing)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no CA: run `certdesk ca init` first"))?
            .id
    };
    let now = jiff::Timestamp::now();
    let mut rows = Vec::with_capacity(BATCH.min(count));
    for n in 0..count {
        let revoked_at = now - jiff::SignedDuration::from_secs(1 + (n as i64 * 31) % 31_536_000);
        rows.push(RevokedCertificateRow {
            id: CertificateId::new(),
            serial: pki::Serial::random().to_hex(),
            issuer_id: issuer,
            subject: "CN=压测证书, O=北京压测科技有限公司, C=CN".into(),
            spki_sha256: format!("{n:064x}"),
            not_before: revoked_at - jiff::SignedDuration::from_hours(24 * 30),
            not_after: revoked_at + jiff::SignedDuration::from_hours(24 * 365),
            revoked_at,
            reason: REASONS[n % REASONS.len()].into(),
        });
        if rows.len() == BATCH || n + 1 == count {
            let mut tx = store.begin().await?;
            bulk::revoked_certificates(&mut tx, &rows).await?;
            tx.commit().await?;
            rows.clear();
        }
    }
    bulk::settle(store).await?;
    Ok(started.elapsed())
}

/// One CRL publication.
#[derive(Clone, Debug)]
pub struct Published {
    pub number: u64,
    pub took: Duration,
    pub der: bytes::Bytes,
}

/// Publishes a CRL through the app, as an admin's 重新生成 (or the daily job) would.
pub async fn publish(app: &App) -> anyhow::Result<Published> {
    let started = Instant::now();
    let number = app::ca::crl::regenerate(app, &Actor::system())
        .await
        .map_err(|e| anyhow::anyhow!("publishing the CRL: {e}"))?;
    let took = started.elapsed();
    let ca = app
        .ca()
        .ok_or_else(|| anyhow::anyhow!("the app has no CA"))?;
    let crl = ca.crl();
    anyhow::ensure!(
        crl.number == number,
        "the CA serves CRL {} not {number}",
        crl.number
    );
    Ok(Published {
        number,
        took,
        der: crl.der.clone(),
    })
}

/// How many entries a CRL (DER) lists, read by an independent parser (x509-parser).
pub fn entries(der: &[u8]) -> anyhow::Result<usize> {
    let (_, crl) = x509_parser::parse_x509_crl(der)
        .map_err(|e| anyhow::anyhow!("the CRL does not parse: {e}"))?;
    Ok(crl.iter_revoked_certificates().count())
}
