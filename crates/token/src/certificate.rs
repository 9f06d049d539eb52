//! Certificates on a token: reading what a person (or a 信息变更 form) needs from them.

use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use jiff::Timestamp;
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::TokenError;

/// An object's label and CKA_ID (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRef {
    pub label: String,
    pub id: String,
}

/// The subject fields certdesk writes (pki's profiles).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// commonName: the organisation, person or seal name.
    pub cn: Option<String>,
    /// organizationName.
    pub o: Option<String>,
    /// The 统一社会信用代码, from organizationIdentifier without its `NTRCN-` prefix.
    pub uscc: Option<String>,
    /// serialNumber (a stand-in code for a body without a USCC).
    pub serial_number: Option<String>,
}

/// What a certificate on the token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    /// The token object's label.
    pub label: String,
    /// CKA_ID, hex: the same as the key's for the holder's own certificate.
    pub key_id: String,
    /// Serial number, upper-case hex as OpenSSL prints it.
    pub serial: String,
    pub subject: Subject,
    pub issuer_cn: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// A CA certificate (of the chain) rather than the holder's.
    pub authority: bool,
}

/// A certificate parsed for the fields the tool uses.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    /// The serial's DER INTEGER (tag, length, content): CKA_SERIAL_NUMBER.
    pub serial_der: Vec<u8>,
    pub serial_hex: String,
    pub subject: Subject,
    pub issuer_cn: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub spki_der: Vec<u8>,
    pub ocsp_url: Option<String>,
    pub is_ca: bool,
}

fn first(name: &X509Name<'_>, oid: &str) -> Option<String> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| a.as_str().ok())
        .map(str::to_string)
}

fn timestamp(t: &x509_parser::time::ASN1Time) -> Timestamp {
    Timestamp::from_second(t.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Parsed {
    pub fn parse(der: &[u8]) -> Result<Parsed, TokenError> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| TokenError::BadCertificate(format!("不是有效的 X.509 证书（{e}）")))?;
        if !rest.is_empty() {
            return Err(TokenError::BadCertificate("证书后有多余数据".into()));
        }
        let serial = cert.raw_serial();
        let magnitude = match serial {
            [0, rest @ ..] if !rest.is_empty() => rest,
            s => s,
        };
        let mut serial_der = vec![0x02, serial.len() as u8];
        serial_der.extend_from_slice(serial);
        let mut ocsp_url = None;
        let mut is_ca = false;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for d in &aia.accessdescs {
                        if d.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1"
                            && let GeneralName::URI(u) = d.access_location
                        {
                            ocsp_url.get_or_insert_with(|| u.to_string());
                        }
                    }
                }
                ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
                _ => {}
            }
        }
        let subject = cert.subject();
        Ok(Parsed {
            subject_der: subject.as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
            serial_der,
            serial_hex: hex::encode_upper(magnitude),
            subject: Subject {
                cn: first(subject, "2.5.4.3"),
                o: first(subject, "2.5.4.10"),
                uscc: first(subject, "2.5.4.97")
                    .map(|v| v.strip_prefix("NTRCN-").map(str::to_string).unwrap_or(v)),
                serial_number: first(subject, "2.5.4.5"),
            },
            issuer_cn: first(cert.issuer(), "2.5.4.3"),
            not_before: timestamp(&cert.validity().not_before),
            not_after: timestamp(&cert.validity().not_after),
            spki_der: cert.public_key().raw.to_vec(),
            ocsp_url,
            is_ca,
        })
    }

    pub fn info(&self, label: String, key_id: String) -> CertificateInfo {
        CertificateInfo {
            label,
            key_id,
            serial: self.serial_hex.clone(),
            subject: self.subject.clone(),
            issuer_cn: self.issuer_cn.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            authority: self.is_ca,
        }
    }
}

/// A certificate object on the token.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub handle: ObjectHandle,
    pub label: String,
    pub id: Vec<u8>,
    pub der: Vec<u8>,
    pub parsed: Parsed,
}

/// Every X.509 certificate object the session can see; unreadable ones are skipped.
pub(crate) fn stored(session: &Session, id: Option<&[u8]>) -> Result<Vec<Stored>, TokenError> {
    let mut template = vec![Attribute::Class(ObjectClass::CERTIFICATE)];
    if let Some(id) = id {
        template.push(Attribute::Id(id.to_vec()));
    }
    let mut out = Vec::new();
    for handle in session.find_objects(&template)? {
        let (mut label, mut id, mut der) = (String::new(), Vec::new(), Vec::new());
        for a in session.get_attributes(
            handle,
            &[
                AttributeType::Label,
                AttributeType::Id,
                AttributeType::Value,
            ],
        )? {
            match a {
                Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
                Attribute::Id(i) => id = i,
                Attribute::Value(v) => der = v,
                _ => {}
            }
        }
        let Ok(parsed) = Parsed::parse(&der) else {
            continue;
        };
        out.push(Stored {
            handle,
            label,
            id,
            der,
            parsed,
        });
    }
    Ok(out)
}

pub(crate) fn list(session: &Session) -> Result<Vec<CertificateInfo>, TokenError> {
    Ok(stored(session, None)?
        .into_iter()
        .map(|s| s.parsed.info(s.label, hex::encode(&s.id)))
        .collect())
}

/// A certificate's serial number, upper-case hex as OpenSSL prints it.
pub fn certificate_serial(der: &[u8]) -> Result<String, TokenError> {
    Ok(Parsed::parse(der)?.serial_hex)
}
