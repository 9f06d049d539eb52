//! 制证: an approved, paid order at its produce step gets what its kind dictates
//! (`domain::application::production::plan`): new certificates, a longer one, a
//! replacement with the old one revoked, or only the revocation.
//!
//! Who produces is the step's: an operator at the service desk (新办, 补办, 注销, and
//! on-site kinds), or the applicant online with their own key (延期, 信息变更, 年检; the
//! USB-key tool sends the CSR through the API).
//!
//! Everything that needs no database is done first, in the caller's task: the CSR's proof
//! of possession, reading the order, the plan, building and signing the certificate. Then
//! [`super::writer`] records it with the order's transition in one transaction shared by
//! every production that arrived meanwhile (one commit, one fsync, for the group). The
//! order's version, read here, is checked by a conditional update there, so nothing read
//! here can have changed by the time it is recorded, and a certificate is returned only once
//! it is committed.

use domain::application::production::{self, Plan, ReplaceCause};
use domain::application::{CertSerial, CertType, Delivery, Flow, Kind, Step, Transition};
use domain::ids::ApplicationId;
use domain::organisation::CreditCode;
use serde::{Deserialize, Serialize};
use store::applications::ApplicationRecord;
use store::ca::{Certificate, CertificateStatus, NewCertificate};
use zeroize::Zeroizing;

use super::form::ApplicationInput;
use super::{flow_of, load, owner, ticked};
use crate::authz::{Action, authorize};
use crate::ca::{IssueRequest, IssuedCertificate};
use crate::{Actor, App, Error, FieldErrors};

/// The longest 锁序列号 accepted.
const MAX_TOKEN_SERIAL: usize = 64;
/// A PKCS#12 password for a generated soft key: at least this long.
const MIN_PKCS12_PASSWORD: usize = 8;

/// What the producer sends: the key (a CSR made on it, or "generate one here"), and the
/// token it lives on.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProduceInput {
    /// The PKCS#10 certificate request made on the key, PEM (or DER as base64). Not needed
    /// for 注销, nor when `generate` is set.
    pub csr: String,
    /// "yes": certdesk generates a soft key and hands it over once, as PKCS#12, protected
    /// by `pkcs12_password`. It is not kept.
    pub generate: String,
    /// The password of the generated PKCS#12 file (at least 8 characters).
    #[serde(skip_serializing)]
    pub pkcs12_password: String,
    /// 锁序列号: the serial of the USB key the key pair is on.
    pub token_serial: String,
    /// The version of the order the producer saw; a stale page is refused.
    pub version: Option<i64>,
}

/// The password never reaches a log.
impl std::fmt::Debug for ProduceInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProduceInput")
            .field("csr", &format_args!("{} bytes", self.csr.len()))
            .field("generate", &self.generate)
            .field("token_serial", &self.token_serial)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What production did.
#[derive(Debug)]
pub struct Produced {
    /// The new certificate (none for 注销).
    pub certificate: Option<IssuedCertificate>,
    /// The serial of the certificate revoked (补办, 信息变更, 注销).
    pub revoked: Option<String>,
    /// Certificates produced for the order so far, and how many it asks for.
    pub issued: u32,
    pub quantity: u32,
    /// Whether the order moved on (all certificates made).
    pub complete: bool,
    /// The generated soft key with its certificate and chain, PKCS#12: handed over once.
    pub pkcs12: Option<Zeroizing<Vec<u8>>>,
}

/// The key of the certificate to produce.
enum KeyInput {
    Csr(pki::PublicKey),
    Generated(Box<pki::SoftKey>, Zeroizing<String>),
    None,
}

/// Everything the writer needs for one production, decided and signed beforehand.
pub(crate) struct Work {
    pub(crate) actor: Actor,
    pub(crate) record: ApplicationRecord,
    /// The flow to move to when this completes the order; `None` keeps it at 待制证.
    pub(crate) next: Option<Flow>,
    pub(crate) comment: String,
    /// The new certificate, signed.
    pub(crate) certificate: Option<NewCertificate>,
    /// The certificate to revoke, and the reason (CRL name).
    pub(crate) revoke: Option<(String, pki::RevocationReason)>,
    /// A 领取码 to open the pickup with.
    pub(crate) pickup_code: Option<String>,
    /// The applicant's e-mail address, for the status e-mail when the order moves on.
    pub(crate) email: Option<String>,
}

/// 制证 for order `id`, as its produce step and kind say.
pub async fn produce(
    app: &App,
    actor: &Actor,
    id: ApplicationId,
    input: &ProduceInput,
) -> Result<Produced, Error> {
    let ca = app.require_ca()?.clone();
    let key = parse_key(input)?;
    let token_serial = parse_token_serial(&input.token_serial)?;
    let now = app.now();

    let mut conn = app.store.conn().await?;
    let record = load(&mut conn, id).await?;
    let flow = flow_of(&record)?;
    // Who produces is the procedure's to say, whether or not the order is there yet.
    let producer = flow.procedure().steps().iter().find_map(|s| match s {
        Step::Produce(p) => Some(*p),
        _ => None,
    });
    match producer {
        Some(p) => authorize(actor, Action::ProduceApplication(p, owner(&record)))?,
        None => authorize(actor, Action::ViewApplication(owner(&record)))?,
    }
    if !matches!(flow.step(), Some(Step::Produce(_))) {
        return Err(Error::Refused("production.not_awaiting"));
    }
    if input.version.is_some_and(|v| v != record.version) {
        return Err(Error::Refused("application.changed_meanwhile"));
    }
    // The procedure puts payment and review before production; this says it again.
    if !flow.paid() && flow.amount().0 > 0 {
        return Err(Error::Refused("production.not_paid"));
    }
    let form: ApplicationInput = serde_json::from_str(&record.form)
        .map_err(|e| Error::Internal(format!("application {id}: form: {e}")))?;
    let old = match record.kind {
        Kind::New => None,
        _ => Some(concerned(&mut conn, &record, &form).await?),
    };
    let issued = if record.kind == Kind::New {
        store::ca::count_for_application(&mut conn, id).await?
    } else {
        0
    };
    let cause = match record.kind {
        Kind::Replace => Some(
            ReplaceCause::parse(form.replace_cause.trim())
                .map_err(|_| Error::Refused("production.no_cause"))?,
        ),
        _ => None,
    };
    let plan = production::plan(
        &production::Order {
            kind: record.kind,
            quantity: record.quantity,
            years: record.years,
            cause,
        },
        now,
        old.as_ref().map(|c| c.issued.not_after),
    )
    .map_err(|e| Error::Refused(domain::Reason::key(&e)))?;

    let (validity, revoke, target) = match plan {
        Plan::IssueNew { count, validity } => {
            if issued >= count {
                return Err(Error::Refused("production.quantity_reached"));
            }
            (Some(validity), None, count)
        }
        Plan::Extend { validity } => (Some(validity), None, 1),
        Plan::Reissue { revoke, validity } => (Some(validity), Some(revoke), 1),
        Plan::Revoke { revoke } => (None, Some(revoke), 1),
    };
    let revoke = revoke.map(|r| {
        let serial = old.as_ref().map(|c| c.issued.serial.clone());
        (serial.unwrap_or_default(), pki_reason(r))
    });

    let mut certificate = None;
    let mut answer = None;
    let mut generated = None;
    if let Some(validity) = validity {
        let (public_key, soft) = match key {
            KeyInput::Csr(k) => (k, None),
            KeyInput::Generated(k, password) => {
                let public = k
                    .public_key()
                    .map_err(|e| Error::Internal(format!("generated key: {e}")))?;
                (public, Some((k, password)))
            }
            KeyInput::None => return Err(Error::field("csr", "production.csr_required")),
        };
        let subject = subject(&mut conn, &record, &form, old.as_ref()).await?;
        let request = IssueRequest {
            subject,
            cert_type: record.cert_type,
            not_before: validity.not_before,
            not_after: validity.not_after,
            public_key,
            application: Some(record.id),
            organisation: record.organisation_id,
            holder: (record.cert_type == CertType::Personal).then_some(record.applicant_id),
            token_serial,
            replaces: old.as_ref().map(|c| c.issued.id),
        };
        let (row, issued_cert) = crate::ca::issue::sign(&ca, &request, now)?;
        certificate = Some(row);
        answer = Some(issued_cert);
        generated = soft;
    }

    let issued_now = issued + u32::from(certificate.is_some());
    let complete = record.kind != Kind::New || issued_now >= target;
    let next = if complete {
        Some(
            flow.produced()
                .map_err(|e| Error::Refused(domain::Reason::key(&e)))?,
        )
    } else {
        None
    };
    let pickup_code =
        (complete && flow.delivery() == Delivery::Pickup).then(|| pickup_code(&*app.random));
    let email = match next {
        Some(_) => store::users::find(&mut conn, record.applicant_id)
            .await?
            .and_then(|u| u.email),
        None => None,
    };
    drop(conn);
    let comment = comment(
        record.kind,
        answer.as_ref(),
        revoke.as_ref(),
        issued_now,
        target,
    );
    let revoked = revoke.as_ref().map(|(s, _)| s.clone());
    let work = Work {
        actor: actor.clone(),
        record,
        next,
        comment,
        certificate,
        revoke,
        pickup_code,
        email,
    };
    super::writer::submit(app, work).await?;

    let pkcs12 = match (generated, &answer) {
        (Some((key, password)), Some(cert)) => Some(Zeroizing::new(
            pki::pkcs12(
                &key,
                &cert.der,
                &[&ca.issuing_der(), &ca.root_der()],
                &password,
                &cert.subject,
            )
            .map_err(|e| Error::Internal(format!("PKCS#12: {e}")))?,
        )),
        _ => None,
    };
    Ok(Produced {
        certificate: answer,
        revoked,
        issued: issued_now,
        quantity: target,
        complete,
        pkcs12,
    })
}

fn parse_key(input: &ProduceInput) -> Result<KeyInput, Error> {
    let mut e = FieldErrors::new();
    if ticked(&input.generate) {
        let password = input.pkcs12_password.as_str();
        if password.chars().count() < MIN_PKCS12_PASSWORD {
            e.add("pkcs12_password", "production.password_too_short");
        } else if password.len() > 128 {
            e.add("pkcs12_password", "text.too_long");
        }
        e.into_result()?;
        let key = pki::SoftKey::generate(pki::KeyAlgorithm::EcdsaP256)
            .map_err(|e| Error::Internal(format!("generating a key: {e}")))?;
        return Ok(KeyInput::Generated(
            Box::new(key),
            Zeroizing::new(password.to_owned()),
        ));
    }
    let text = input.csr.trim();
    if text.is_empty() {
        return Ok(KeyInput::None);
    }
    let der;
    let bytes = if text.starts_with("-----") {
        text.as_bytes()
    } else {
        use base64::Engine as _;
        let compact: String = text.split_whitespace().collect();
        der = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| Error::field("csr", "csr.malformed"))?;
        &der[..]
    };
    let csr = pki::Csr::parse(bytes).map_err(|err| Error::field("csr", err.key()))?;
    Ok(KeyInput::Csr(csr.public_key().clone()))
}

fn parse_token_serial(s: &str) -> Result<Option<String>, Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > MAX_TOKEN_SERIAL
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    {
        return Err(Error::field(
            "token_serial",
            "production.token_serial_invalid",
        ));
    }
    Ok(Some(s.to_owned()))
}

/// The certificate an order other than 新办 is about: named on the form, the order's
/// owner's, of the order's type, and still in force.
async fn concerned(
    conn: &mut store::AnyConnection,
    record: &ApplicationRecord,
    form: &ApplicationInput,
) -> Result<Certificate, Error> {
    let not_found = || Error::Refused("production.certificate_not_found");
    let serial = CertSerial::parse(form.certificate_serial.trim()).map_err(|_| not_found())?;
    let serial = pki::Serial::from_hex(serial.as_str())
        .map_err(|_| not_found())?
        .to_hex();
    let c = store::ca::by_serial(conn, &serial)
        .await?
        .ok_or_else(not_found)?;
    let owned = match record.organisation_id {
        Some(org) => c.issued.organisation_id == Some(org),
        None => c.issued.holder_user_id == Some(record.applicant_id),
    };
    if !owned || c.issued.cert_type != record.cert_type {
        return Err(not_found());
    }
    if c.status == CertificateStatus::Revoked {
        return Err(Error::Refused("production.certificate_revoked"));
    }
    Ok(c)
}

/// The verified subject: 延期, 年检 and 补办 keep the old certificate's; 新办 and
/// 信息变更 take the organisation's profile (and the person's name) as they are now.
async fn subject(
    conn: &mut store::AnyConnection,
    record: &ApplicationRecord,
    form: &ApplicationInput,
    old: Option<&Certificate>,
) -> Result<pki::SubjectData, Error> {
    let cert_type = record.cert_type;
    let named = |name: String| {
        let mut s = pki::SubjectData::default();
        match cert_type {
            CertType::Personal | CertType::OrgStaff => s.person_name = Some(name),
            CertType::Seal => s.seal_name = Some(name),
            CertType::OrgMaster => {}
        }
        s
    };
    if let (Some(old), Kind::Renew | Kind::Inspect | Kind::Replace) = (old, record.kind) {
        let c = &old.issued;
        let mut s = named(c.holder_name.clone());
        if let (Some(name), Some(code)) = (&c.organisation_name, &c.credit_code) {
            s.organisation = Some(pki::Organisation {
                name: name.clone(),
                code: CreditCode::parse_stored(code)
                    .ok_or_else(|| Error::Internal(format!("certificate {}: code", c.id)))?,
            });
        }
        return Ok(s);
    }
    let organisation = match record.organisation_id {
        Some(org) => {
            let o = store::organisations::find(conn, org)
                .await?
                .ok_or_else(|| Error::Internal(format!("organisation {org} is gone")))?;
            Some(pki::Organisation {
                name: o.name,
                code: o.credit_code,
            })
        }
        None => None,
    };
    let holder = match cert_type {
        CertType::Personal => store::users::find(conn, record.applicant_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default(),
        CertType::OrgStaff => form.handler_name.trim().to_owned(),
        CertType::Seal => organisation
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        CertType::OrgMaster => String::new(),
    };
    let mut s = named(holder);
    if s.person_name.as_deref() == Some("") || s.seal_name.as_deref() == Some("") {
        return Err(Error::Refused("ca.subject_incomplete"));
    }
    s.organisation = organisation;
    Ok(s)
}

fn pki_reason(r: production::RevocationReason) -> pki::RevocationReason {
    use production::RevocationReason as R;
    match r {
        R::Unspecified => pki::RevocationReason::Unspecified,
        R::KeyCompromise => pki::RevocationReason::KeyCompromise,
        R::AffiliationChanged => pki::RevocationReason::AffiliationChanged,
        R::Superseded => pki::RevocationReason::Superseded,
        R::CessationOfOperation => pki::RevocationReason::CessationOfOperation,
    }
}

/// A 领取码: six digits.
fn pickup_code(random: &dyn crate::random::Random) -> String {
    let mut buf = [0u8; 8];
    random.fill(&mut buf);
    format!("{:06}", u64::from_le_bytes(buf) % 1_000_000)
}

/// What 流程审批记录 says of this production.
fn comment(
    kind: Kind,
    certificate: Option<&IssuedCertificate>,
    revoke: Option<&(String, pki::RevocationReason)>,
    issued: u32,
    target: u32,
) -> String {
    let mut parts = Vec::new();
    if let Some((serial, _)) = revoke {
        parts.push(format!("原证书 {serial} 已吊销"));
    }
    if let Some(c) = certificate {
        let progress = if kind == Kind::New && target > 1 {
            format!("（第 {issued}/{target} 张）")
        } else {
            String::new()
        };
        parts.push(format!("已签发证书 {}{progress}", c.serial));
    }
    parts.join("；")
}

/// Written by the writer, inside the group's transaction, for one production (its key
/// locked already): the refusals come back as the inner error, and the writer takes back
/// what this production wrote.
pub(crate) async fn write(
    app: &App,
    conn: &mut store::AnyConnection,
    work: &Work,
) -> Result<Result<(), Error>, Error> {
    let refused = |key: &'static str| Ok(Err(Error::Refused(key)));
    if let Some(row) = &work.certificate
        && let Err(e) = crate::ca::issue::check_key(conn, row, std::iter::empty()).await?
    {
        return Ok(Err(e));
    }
    // The conditional writes first: if one fails the savepoint takes back the others.
    if let Some((serial, reason)) = &work.revoke {
        let name = crate::ca::reason_name(*reason);
        if !store::ca::revoke(conn, serial, app.now(), name).await? {
            return refused("production.certificate_revoked");
        }
        store::audit::append(
            conn,
            app.now(),
            work.actor.audit_id(),
            "certificate.revoke",
            serial,
            &format!("reason={name} application={}", work.record.id),
        )
        .await?;
    }
    match &work.next {
        Some(next) => {
            match super::transition::commit(
                app,
                conn,
                &work.record,
                next.clone(),
                Transition::Produced,
                super::transition::By::Person(&work.actor),
                &work.comment,
                super::transition::Extras::default(),
            )
            .await
            {
                Ok(_) => {}
                Err(e @ Error::Refused(_)) => return Ok(Err(e)),
                Err(e) => return Err(e),
            }
            open_delivery(app, conn, work).await?;
        }
        None => {
            if !store::applications::touch(conn, work.record.id, work.record.version, app.now())
                .await?
            {
                return refused("application.changed_meanwhile");
            }
        }
    }
    if let Some(row) = &work.certificate {
        store::ca::insert_certificates(conn, std::slice::from_ref(row)).await?;
        crate::ca::issue::audit(conn, &work.actor, row).await?;
    }
    Ok(Ok(()))
}

/// When the order moved on to delivery (邮寄 or 网点领取), opens it, with the 领取码.
pub(crate) async fn open_delivery(
    app: &App,
    conn: &mut store::AnyConnection,
    work: &Work,
) -> Result<(), Error> {
    if work.next.as_ref().and_then(Flow::step) == Some(Step::Deliver)
        && matches!(work.record.delivery, Delivery::Mail | Delivery::Pickup)
    {
        store::deliveries::insert(
            conn,
            work.record.id,
            work.record.delivery,
            work.pickup_code.as_deref(),
            app.now(),
        )
        .await?;
    }
    Ok(())
}
