//! 证书登录 and 绑定CA from the USB key: the tool signs the server's one-time challenge
//! ([`domain::account::challenge_message`]) with the key and sends it with the certificate.
//!
//! - `login --code C`: signs the code shown on the web sign-in page (CA登录); the browser
//!   then completes. Without `--code`: a login for the command line, which prints who is
//!   signed in and can keep the session token in a file.
//! - `bind --code C`: signs the code shown on the 绑定CA page. Without `--code`: asks for a
//!   bind challenge with the personal API token (scope 绑定CA) and signs it.

use base64::Engine as _;
use pki::Signer as _;
use serde::{Deserialize, Serialize};
use token::Token;
use zeroize::Zeroizing;

use super::server::Server;
use super::{Failure, fail};

#[derive(Deserialize)]
struct Challenge {
    code: String,
    purpose: String,
    nonce: String,
}

#[derive(Deserialize)]
struct Started {
    code: String,
    nonce: String,
    purpose: String,
    secret: String,
}

#[derive(Serialize)]
struct Answer {
    certificate: String,
    signature: String,
}

#[derive(Deserialize)]
struct Signed {
    serial: String,
    holder_name: String,
}

#[derive(Deserialize)]
struct SessionToken {
    token: String,
    expires_at: String,
}

#[derive(Deserialize)]
struct Me {
    name: String,
}

/// The key to sign with: the one named, else the only key beside a certificate.
pub(super) fn signing_key(token: &Token, key: Option<&str>) -> Result<token::TokenKey, Failure> {
    if let Some(k) = key {
        return Ok(token.key(k)?);
    }
    let with_cert: Vec<_> = token
        .keys()?
        .into_iter()
        .filter(|k| k.has_certificate)
        .collect();
    match with_cert.as_slice() {
        [only] => Ok(token.key(&only.id_hex())?),
        [] => Err(fail(
            "USB-KEY 中没有带证书的密钥：请先制证（certdesk token enroll）",
        )),
        several => Err(fail(format!(
            "USB-KEY 中有多个带证书的密钥，请用 --key 指定其一：{}",
            several
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join("、")
        ))),
    }
}

/// Signs the challenge with the key and sends the answer with its certificate.
fn answer(
    server: &Server,
    token: &Token,
    key: Option<&str>,
    code: &str,
    purpose: &str,
    nonce: &str,
) -> Result<Signed, Failure> {
    let signer = signing_key(token, key)?;
    let certificate = token
        .certificate(&signer.info().id)?
        .ok_or_else(|| fail(format!("密钥 {} 旁没有证书", signer.info().name())))?;
    let message = domain::account::challenge_message(purpose, code, nonce);
    let signature = signer
        .sign(message.as_bytes())
        .map_err(|e| fail(format!("USB-KEY 签名失败：{}", e.0)))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (_, signed): (_, Signed) = server.post(
        &format!("/api/v1/auth/certificate/challenges/{code}/signature"),
        &Answer {
            certificate: b64.encode(&certificate),
            signature: b64.encode(&signature),
        },
    )?;
    Ok(signed)
}

/// Signs a code shown on a page, checking it is for what the person asked.
fn sign_code(
    server: &Server,
    token: &Token,
    key: Option<&str>,
    code: &str,
    purpose: &str,
) -> Result<Signed, Failure> {
    let c: Challenge = server.get(&format!(
        "/api/v1/auth/certificate/challenges/{}",
        code.trim()
    ))?;
    if c.purpose != purpose {
        return Err(fail(match purpose {
            "login" => "这是绑定码，不是登录码：请用 certdesk token bind --code",
            _ => "这是登录码，不是绑定码：请用 certdesk token login --code",
        }));
    }
    answer(server, token, key, &c.code, &c.purpose, &c.nonce)
}

pub fn login(
    server: Server,
    token: &Token,
    key: Option<&str>,
    code: Option<&str>,
    save: Option<&std::path::Path>,
) -> Result<(), Failure> {
    if let Some(code) = code {
        let signed = sign_code(&server, token, key, code, "login")?;
        println!(
            "已用证书 {}（{}）签名：请回到浏览器点击“完成登录”",
            signed.serial, signed.holder_name
        );
        return Ok(());
    }
    let (_, started): (_, Started) = server.post(
        "/api/v1/auth/certificate/challenges",
        &serde_json::json!({}),
    )?;
    let signed = answer(
        &server,
        token,
        key,
        &started.code,
        &started.purpose,
        &started.nonce,
    )?;
    let (_, session): (_, SessionToken) = server.post(
        "/api/v1/auth/certificate/session",
        &serde_json::json!({ "secret": started.secret }),
    )?;
    let session_token = Zeroizing::new(session.token);
    let server = server.with_bearer(session_token.clone());
    let me: Me = server.get("/api/v1/me")?;
    println!(
        "登录成功：{}（证书 {}），会话有效至 {}",
        me.name, signed.serial, session.expires_at
    );
    if let Some(path) = save {
        write_private(path, &session_token)?;
        println!("会话令牌已保存到 {}（仅本人可读）", path.display());
    }
    Ok(())
}

pub fn bind(
    server: Server,
    token: &Token,
    key: Option<&str>,
    code: Option<&str>,
) -> Result<(), Failure> {
    let signed = match code {
        Some(code) => sign_code(&server, token, key, code, "bind")?,
        None => {
            let (_, started): (_, Started) =
                server.post("/api/v1/me/bindings/challenge", &serde_json::json!({}))?;
            answer(
                &server,
                token,
                key,
                &started.code,
                &started.purpose,
                &started.nonce,
            )?
        }
    };
    println!(
        "证书 {}（{}）已绑定到您的账号：此后可用这把 USB-KEY 登录（CA登录）",
        signed.serial, signed.holder_name
    );
    Ok(())
}

fn write_private(path: &std::path::Path, content: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options
        .open(path)
        .map_err(|e| fail(format!("无法写入 {}：{e}", path.display())))?;
    f.write_all(content.as_bytes())
        .map_err(|e| fail(format!("无法写入 {}：{e}", path.display())))
}
