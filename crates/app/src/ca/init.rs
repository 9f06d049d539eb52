//! `certdesk ca init`: the root, the issuing CA and the first OCSP responder certificate.

use std::sync::Arc;

use domain::ids::AuthorityId;
use jiff::{SignedDuration, Timestamp};
use pki::{DistinguishedName, HierarchySetup, KeyAlgorithm, Serial, Signer};
use store::Conflict;
use store::ca::{Authority, AuthorityRole, KeyStorage};

use super::keys::algorithm_name;
use super::{KeySource, crl};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error};

/// How long a delegated OCSP responder certificate lasts: it cannot usefully be revoked,
/// so it is kept short and renewed (see [`super::watch::maintain`]).
pub const RESPONDER_VALIDITY: SignedDuration = SignedDuration::from_hours(90 * 24);

/// The CA key algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaAlgorithm {
    #[default]
    P256,
    Rsa3072,
    Sm2,
}

impl CaAlgorithm {
    pub fn parse(s: &str) -> Option<CaAlgorithm> {
        match s {
            "p256" => Some(CaAlgorithm::P256),
            "rsa3072" => Some(CaAlgorithm::Rsa3072),
            "sm2" => Some(CaAlgorithm::Sm2),
            _ => None,
        }
    }

    pub fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            CaAlgorithm::P256 => KeyAlgorithm::EcdsaP256,
            CaAlgorithm::Rsa3072 => KeyAlgorithm::Rsa3072,
            CaAlgorithm::Sm2 => KeyAlgorithm::Sm2,
        }
    }
}

/// The CA's names: `C=<country>, O=<organisation>, CN=<common name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaNames {
    pub country: String,
    pub organisation: String,
    pub root_common_name: String,
    pub issuing_common_name: String,
    pub ocsp_common_name: String,
}

impl Default for CaNames {
    fn default() -> Self {
        CaNames {
            country: "CN".into(),
            organisation: "certdesk".into(),
            root_common_name: "certdesk Root CA".into(),
            issuing_common_name: "certdesk Issuing CA".into(),
            ocsp_common_name: "certdesk OCSP Responder".into(),
        }
    }
}

impl CaNames {
    fn name(&self, common_name: &str) -> DistinguishedName {
        DistinguishedName::new()
            .country(self.country.clone())
            .organisation(self.organisation.clone())
            .common_name(common_name.to_owned())
    }
}

#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    pub algorithm: CaAlgorithm,
    pub names: CaNames,
}

/// What [`init`] made.
#[derive(Clone, Debug)]
pub struct Initialised {
    pub root_serial: String,
    pub issuing_serial: String,
    pub algorithm: CaAlgorithm,
    /// The root certificate, PEM, for the operator to distribute.
    pub root_pem: String,
}

/// Creates the CA and stores it. Refused when a CA exists. The keys are kept as `keys`
/// says; a PKCS#11 CA is P-256 only.
pub async fn init(
    app: &App,
    actor: &Actor,
    keys: &KeySource,
    options: &InitOptions,
) -> Result<Initialised, Error> {
    authorize(actor, Action::ManageCa)?;
    if matches!(keys, KeySource::Pkcs11 { .. }) && options.algorithm != CaAlgorithm::P256 {
        return Err(Error::Refused("ca.pkcs11_p256_only"));
    }
    {
        let mut conn = app.store.conn().await?;
        if store::ca::exists(&mut conn).await? {
            return Err(Error::Refused("ca.exists"));
        }
    }
    let now = app.now();
    let made = {
        let keys = keys.clone();
        let options = options.clone();
        tokio::task::spawn_blocking(move || make(&keys, &options, now))
            .await
            .map_err(|e| Error::Internal(format!("CA creation task: {e}")))??
    };

    let mut tx = app.store.begin().await?;
    for a in [&made.root, &made.issuing, &made.responder] {
        store::ca::insert_authority(&mut tx, a)
            .await
            .map_err(|e| match e.conflict() {
                Some(Conflict::CaExists) => Error::Refused("ca.exists"),
                _ => e.into(),
            })?;
    }
    // The first CRL (empty), so /crl/issuing.crl answers from the start.
    crl::publish(&mut tx, &made.issuing.id, &made.issuing_authority, now).await?;
    store::audit::append(
        &mut tx,
        now,
        actor.audit_id(),
        "ca.init",
        &made.issuing.id.to_text(),
        &format!(
            "algorithm={} keys={}",
            algorithm_name(options.algorithm.key_algorithm()),
            match keys {
                KeySource::File { .. } => "file",
                KeySource::Pkcs11 { .. } => "pkcs11",
            }
        ),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(issuing = %made.issuing.id, algorithm = ?options.algorithm, "CA created");
    Ok(Initialised {
        root_serial: made.root_serial,
        issuing_serial: made.issuing_serial,
        algorithm: options.algorithm,
        root_pem: pki::certificate_pem(&made.root.certificate),
    })
}

struct Made {
    root: Authority,
    issuing: Authority,
    responder: Authority,
    issuing_authority: pki::Authority,
    root_serial: String,
    issuing_serial: String,
}

fn internal(what: &str) -> impl Fn(String) -> Error + '_ {
    move |e| Error::Internal(format!("{what}: {e}"))
}

/// Generates the keys and signs the certificates. Blocking.
fn make(keys: &KeySource, options: &InitOptions, now: Timestamp) -> Result<Made, Error> {
    let algorithm = options.algorithm.key_algorithm();
    let stamp = now.as_second();
    let (root_key, root_storage) = keys
        .generate(algorithm, &format!("certdesk-root-{stamp}"))
        .map_err(internal("root key"))?;
    let (issuing_key, issuing_storage) = keys
        .generate(algorithm, &format!("certdesk-issuing-{stamp}"))
        .map_err(internal("issuing key"))?;
    let hierarchy = pki::create_hierarchy(HierarchySetup::new(
        options.names.name(&options.names.root_common_name),
        options.names.name(&options.names.issuing_common_name),
        root_key,
        issuing_key,
        now,
    ))
    .map_err(|e| Error::Internal(format!("CA hierarchy: {e}")))?;
    let root_id = AuthorityId::new();
    let issuing_id = AuthorityId::new();
    let root_cert = hierarchy.root.certificate().der().to_vec();
    let issuing_cert = hierarchy.issuing.certificate().der().to_vec();
    // The validity create_hierarchy gives (HierarchySetup::new: 20 and 10 years from now).
    let plus_years = |years: i64| -> Result<Timestamp, Error> {
        now.to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().years(years))
            .map(|z| z.timestamp())
            .map_err(|e| Error::Internal(format!("CA validity: {e}")))
    };
    let (root_nb, root_na) = (now, plus_years(20)?);
    let (iss_nb, iss_na) = (now, plus_years(10)?);
    let responder = issue_responder(
        keys,
        &hierarchy.issuing,
        issuing_id,
        &options.names.name(&options.names.ocsp_common_name),
        now,
    )?;
    Ok(Made {
        root_serial: hierarchy.root.certificate().serial().to_hex(),
        issuing_serial: hierarchy.issuing.certificate().serial().to_hex(),
        root: Authority {
            id: root_id,
            role: AuthorityRole::Root,
            issuer_id: None,
            algorithm: algorithm_name(algorithm).into(),
            certificate: root_cert,
            key: root_storage,
            not_before: root_nb,
            not_after: root_na,
            created_at: now,
        },
        issuing: Authority {
            id: issuing_id,
            role: AuthorityRole::Issuing,
            issuer_id: Some(root_id),
            algorithm: algorithm_name(algorithm).into(),
            certificate: issuing_cert,
            key: issuing_storage,
            not_before: iss_nb,
            not_after: iss_na,
            created_at: now,
        },
        responder: responder.0,
        issuing_authority: hierarchy.issuing,
    })
}

/// A new delegated OCSP responder certificate with its own P-256 key, kept as `keys` keeps
/// keys. Blocking. Returns the record and the key.
pub(crate) fn issue_responder(
    keys: &KeySource,
    issuing: &pki::Authority,
    issuing_id: AuthorityId,
    name: &DistinguishedName,
    now: Timestamp,
) -> Result<(Authority, Arc<dyn Signer>), Error> {
    let (key, storage): (Arc<dyn Signer>, KeyStorage) = keys
        .generate(
            KeyAlgorithm::EcdsaP256,
            &format!("certdesk-ocsp-{}", now.as_second()),
        )
        .map_err(internal("OCSP responder key"))?;
    let public = pki::PublicKey::from_spki_der(key.public_key_der())
        .map_err(|e| Error::Internal(format!("OCSP responder key: {e}")))?;
    // Back-dated a little: a client whose clock runs slow still accepts it.
    let not_before = now - SignedDuration::from_mins(5);
    let der = issuing
        .issue_ocsp_responder(
            Serial::random(),
            name,
            &public,
            not_before,
            now + RESPONDER_VALIDITY,
        )
        .map_err(|e| Error::Internal(format!("OCSP responder certificate: {e}")))?;
    Ok((
        Authority {
            id: AuthorityId::new(),
            role: AuthorityRole::Ocsp,
            issuer_id: Some(issuing_id),
            algorithm: algorithm_name(KeyAlgorithm::EcdsaP256).into(),
            certificate: der,
            key: storage,
            not_before,
            not_after: now + RESPONDER_VALIDITY,
            created_at: now,
        },
        key,
    ))
}
