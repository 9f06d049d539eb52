//! What can go wrong with a USB key, in words its holder understands. Never carries a PIN.

use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};

/// A failure of the token tool. `Display` is the message shown to the person at the key.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "找不到 PKCS#11 模块文件 {0}：请检查 --module 的路径（或环境变量 CERTDESK_PKCS11_MODULE），并确认已安装 USB-KEY 驱动"
    )]
    ModuleMissing(PathBuf),
    #[error("{0} 不是可用的 PKCS#11 模块（{1}）：请换成 USB-KEY 驱动自带的 PKCS#11 库文件")]
    NotPkcs11(PathBuf, String),
    #[error("没有检测到 USB-KEY：请插入 USB-KEY 后重试")]
    NoToken,
    #[error("检测到多个 USB-KEY（{}）：请用 --token 指定序列号或名称", .0.join("、"))]
    SeveralTokens(Vec<String>),
    #[error("没有找到序列号或名称为“{wanted}”的 USB-KEY（已插入：{}）", list_or_none(.present))]
    TokenNotFound {
        wanted: String,
        present: Vec<String>,
    },
    #[error("USB-KEY“{0}”的 PIN 码不正确：请核对后重试，多次输错会锁定 USB-KEY")]
    WrongPin(String),
    #[error("USB-KEY“{0}”的 PIN 码已被锁定：请联系发证机构解锁")]
    PinLocked(String),
    #[error("USB-KEY 中没有密钥“{wanted}”（现有密钥：{}）", list_or_none(.available))]
    KeyNotFound {
        wanted: String,
        available: Vec<String>,
    },
    #[error("USB-KEY 中已有名为“{0}”的密钥：请换一个名称")]
    KeyExists(String),
    #[error(
        "这张证书不属于该密钥（证书中的公钥与 USB-KEY 中的密钥不一致）：请确认选择了正确的证书和密钥"
    )]
    CertificateMismatch,
    #[error("USB-KEY 中该密钥还没有证书：请先安装证书")]
    NoCertificate,
    #[error("证书文件无法读取：{0}")]
    BadCertificate(String),
    #[error("USB-KEY 不支持 {0}：请改用 P-256 密钥")]
    Unsupported(&'static str),
    #[error("USB-KEY 存储空间已满：请删除不用的证书或密钥后重试")]
    TokenFull,
    #[error("USB-KEY 处于只读（写保护）状态，无法写入")]
    ReadOnly,
    #[error("证书主题填写有误：{0}")]
    BadSubject(String),
    #[error("印章图片无效：{0}")]
    BadSeal(&'static str),
    #[error("签名失败：{0}")]
    Sign(String),
    #[error("USB-KEY 操作失败：{0}")]
    Device(String),
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "无".to_string()
    } else {
        items.join("、")
    }
}

impl From<CkError> for TokenError {
    fn from(e: CkError) -> Self {
        match e {
            CkError::Pkcs11(RvError::DeviceMemory, _) => TokenError::TokenFull,
            CkError::Pkcs11(RvError::TokenWriteProtected | RvError::SessionReadOnly, _) => {
                TokenError::ReadOnly
            }
            CkError::Pkcs11(
                RvError::TokenNotPresent | RvError::DeviceRemoved | RvError::SessionHandleInvalid,
                _,
            ) => TokenError::Device("USB-KEY 已被拔出，请重新插入后重试".into()),
            CkError::Pkcs11(rv, f) => TokenError::Device(format!("{f}: {rv:?}")),
            other => TokenError::Device(other.to_string()),
        }
    }
}
