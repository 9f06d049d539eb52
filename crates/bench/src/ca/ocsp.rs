//! The OCSP benchmark's certificates: some issued (`good`), some issued then revoked, all
//! through the app (`app::ca::issue_many`, `app::ca::revoke`), so the responder answers
//! about certificates the CA really recorded.

use app::{Actor, App};
use domain::application::CertType;
use pki::RevocationReason;

use super::csr;

/// Serials (upper-case hex) and certificates (PEM) of what was issued.
#[derive(Clone, Debug, Default)]
pub struct OcspSet {
    pub good: Vec<(String, String)>,
    pub revoked: Vec<(String, String)>,
}

/// Issues `good + revoked` 单位主锁 certificates for the bench organisation and revokes
/// `revoked` of them (keyCompromise).
pub async fn issue_set(app: &App, good: usize, revoked: usize) -> anyhow::Result<OcspSet> {
    let actor = Actor::system();
    let now = jiff::Timestamp::now();
    let uscc = domain::ident::Uscc::parse(&super::orders::uscc())
        .map_err(|e| anyhow::anyhow!("uscc: {e:?}"))?;
    let mut requests = Vec::with_capacity(good + revoked);
    for _ in 0..good + revoked {
        let csr = pki::Csr::parse(&csr::p256_csr("certdesk bench")?)?;
        requests.push(app::ca::IssueRequest {
            subject: pki::SubjectData {
                organisation: Some(pki::Organisation {
                    name: "北京压测科技有限公司".into(),
                    code: domain::organisation::CreditCode::Uscc(uscc.clone()),
                }),
                ..pki::SubjectData::default()
            },
            cert_type: CertType::OrgMaster,
            not_before: now,
            not_after: now + jiff::SignedDuration::from_hours(24 * 365),
            public_key: csr.public_key().clone(),
            application: None,
            organisation: None,
            holder: None,
            token_serial: None,
            replaces: None,
        });
    }
    let batch: Vec<_> = requests.iter().map(|r| (&actor, r)).collect();
    let mut set = OcspSet::default();
    for (i, answer) in app::ca::issue_many(app, &batch)
        .await
        .map_err(|e| anyhow::anyhow!("issuing: {e}"))?
        .into_iter()
        .enumerate()
    {
        let issued = answer.map_err(|e| anyhow::anyhow!("issuing: {e}"))?;
        if i < revoked {
            app::ca::revoke(app, &actor, &issued.serial, RevocationReason::KeyCompromise)
                .await
                .map_err(|e| anyhow::anyhow!("revoking: {e}"))?;
            set.revoked.push((issued.serial.clone(), issued.to_pem()));
        } else {
            set.good.push((issued.serial.clone(), issued.to_pem()));
        }
    }
    Ok(set)
}
