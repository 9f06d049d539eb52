//! 电子件: the documents an application needs, and what an upload may be.

use super::kind::{CertType, Kind};
use super::text_enum;
use crate::Reason;

/// Each upload is at most 10 MB.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

text_enum! {
    /// The documents an applicant may have to upload.
    pub enum DocumentKind / DocumentKindError ("document_kind.unknown") {
        /// 经办人身份证
        HandlerId => "handler_id",
        /// 法人身份证
        LegalRepId => "legal_rep_id",
        /// 营业执照副本
        BusinessLicence => "business_licence",
        /// 统一社会信用代码证
        UsccCertificate => "uscc_certificate",
        /// 法人授权委托书
        PowerOfAttorney => "power_of_attorney",
        /// CA证书申请表
        ApplicationForm => "application_form",
        /// 情况说明书 (补办)
        Statement => "statement",
        /// 签章图片 (电子签章)
        SealImage => "seal_image",
    }
}

/// One line of the documents table: which document, and whether submitting waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Requirement {
    pub document: DocumentKind,
    pub required: bool,
}

/// The shipped defaults (admins edit them): what the seeds' platforms ask for.
pub fn default_requirements(kind: Kind, cert_type: CertType) -> Vec<Requirement> {
    use DocumentKind::*;
    let req = |document| Requirement {
        document,
        required: true,
    };
    let opt = |document| Requirement {
        document,
        required: false,
    };
    let org = cert_type.for_organisation();
    let mut list = match kind {
        Kind::New | Kind::Change => {
            if org {
                vec![
                    req(HandlerId),
                    opt(LegalRepId),
                    req(BusinessLicence),
                    opt(UsccCertificate),
                    req(PowerOfAttorney),
                    req(ApplicationForm),
                ]
            } else {
                vec![req(HandlerId), req(ApplicationForm)]
            }
        }
        Kind::Renew | Kind::Inspect => {
            if org {
                vec![opt(HandlerId), opt(BusinessLicence), opt(ApplicationForm)]
            } else {
                vec![opt(HandlerId), opt(ApplicationForm)]
            }
        }
        Kind::Replace => {
            if org {
                vec![
                    req(HandlerId),
                    req(Statement),
                    req(PowerOfAttorney),
                    opt(BusinessLicence),
                ]
            } else {
                vec![req(HandlerId), req(Statement)]
            }
        }
        Kind::Cancel => {
            if org {
                vec![req(HandlerId), req(PowerOfAttorney), opt(ApplicationForm)]
            } else {
                vec![req(HandlerId), opt(ApplicationForm)]
            }
        }
    };
    if cert_type == CertType::Seal && matches!(kind, Kind::New | Kind::Change | Kind::Replace) {
        list.push(req(SealImage));
    }
    list
}

text_enum! {
    /// What an upload is, decided from its content (never from its name).
    pub enum FileType / FileTypeError ("file_type.unknown") {
        Jpeg => "image/jpeg",
        Png => "image/png",
        Pdf => "application/pdf",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("only JPG, PNG or PDF")]
    UnsupportedType,
    #[error("the content does not match the file name's extension")]
    ExtensionMismatch,
}

impl Reason for DocumentError {
    fn key(&self) -> &'static str {
        match self {
            DocumentError::Empty => "document.empty",
            DocumentError::TooLarge => "document.too_large",
            DocumentError::UnsupportedType => "document.unsupported_type",
            DocumentError::ExtensionMismatch => "document.extension_mismatch",
        }
    }
}

impl FileType {
    /// Reads the type from the first bytes. A `.jpg` that is really a PDF, or a
    /// renamed `.exe`, is caught here.
    pub fn sniff(content: &[u8]) -> Option<FileType> {
        if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if content.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileType::Png)
        } else if content.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Pdf => "pdf",
        }
    }

    fn matches_extension(self, ext: &str) -> bool {
        match self {
            FileType::Jpeg => matches!(ext, "jpg" | "jpeg"),
            FileType::Png => ext == "png",
            FileType::Pdf => ext == "pdf",
        }
    }

    /// Checks an upload: not empty, at most 10 MB, JPG/PNG/PDF by content, and the
    /// name's extension (when it has one) telling the truth.
    pub fn check_upload(file_name: &str, content: &[u8]) -> Result<FileType, DocumentError> {
        if content.is_empty() {
            return Err(DocumentError::Empty);
        }
        if content.len() > MAX_DOCUMENT_BYTES {
            return Err(DocumentError::TooLarge);
        }
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        let sniffed = FileType::sniff(content);
        match (sniffed, ext) {
            (None, _) => Err(DocumentError::UnsupportedType),
            (Some(t), Some(ext)) if !t.matches_extension(&ext) => {
                if ["jpg", "jpeg", "png", "pdf"].contains(&ext.as_str()) {
                    Err(DocumentError::ExtensionMismatch)
                } else {
                    Err(DocumentError::UnsupportedType)
                }
            }
            (Some(t), _) => Ok(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
    const JPG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    const PDF: &[u8] = b"%PDF-1.7\n";

    #[test]
    fn type_comes_from_content() {
        assert_eq!(FileType::check_upload("a.png", PNG), Ok(FileType::Png));
        assert_eq!(FileType::check_upload("a.JPEG", JPG), Ok(FileType::Jpeg));
        assert_eq!(FileType::check_upload("scan.pdf", PDF), Ok(FileType::Pdf));
        assert_eq!(FileType::check_upload("noext", PDF), Ok(FileType::Pdf));
        assert_eq!(
            FileType::check_upload("a.jpg", PDF),
            Err(DocumentError::ExtensionMismatch)
        );
        assert_eq!(
            FileType::check_upload("a.pdf", b"MZ\x90\0"),
            Err(DocumentError::UnsupportedType)
        );
        assert_eq!(
            FileType::check_upload("a.exe", PDF),
            Err(DocumentError::UnsupportedType)
        );
        assert_eq!(
            FileType::check_upload("a.pdf", b""),
            Err(DocumentError::Empty)
        );
        let mut big = PDF.to_vec();
        big.resize(MAX_DOCUMENT_BYTES + 1, 0);
        assert_eq!(
            FileType::check_upload("a.pdf", &big),
            Err(DocumentError::TooLarge)
        );
        big.truncate(MAX_DOCUMENT_BYTES);
        assert_eq!(FileType::check_upload("a.pdf", &big), Ok(FileType::Pdf));
    }

    #[test]
    fn every_kind_asks_for_something_and_seals_need_their_image() {
        for kind in Kind::ALL {
            for t in CertType::ALL {
                let list = default_requirements(*kind, *t);
                assert!(!list.is_empty());
                let mut docs: Vec<_> = list.iter().map(|r| r.document).collect();
                docs.dedup();
                assert_eq!(docs.len(), list.len(), "no duplicates");
            }
        }
        assert!(
            default_requirements(Kind::New, CertType::Seal).contains(&Requirement {
                document: DocumentKind::SealImage,
                required: true
            })
        );
        assert!(
            default_requirements(Kind::Replace, CertType::OrgMaster).contains(&Requirement {
                document: DocumentKind::Statement,
                required: true
            })
        );
    }
}
