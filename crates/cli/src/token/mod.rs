//! `certdesk token`: the USB-key tool. Thin handlers over `crates/token`, which does the
//! work; this module parses arguments, reads files and the PIN, and prints.
//!
//! Local commands live here (`list`, `keygen`, `csr`, `install`, `sign-test`, `read`).
//! Commands that talk to a certdesk server (`enroll`, `login`, `bind`) go in their own
//! files beside this one, each a variant of [`TokenCommand`] and an arm in [`run`].

mod enroll;
mod login;
mod ocsp;
mod server;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use token::{KeyAlg, Module, TokenError};
use zeroize::Zeroizing;

/// The PIN comes from the environment or a file, never from a flag (it would show in `ps`
/// and in shell history).
const PIN_ENV: &str = "CERTDESK_TOKEN_PIN";

#[derive(Args)]
pub struct TokenArgs {
    /// The PKCS#11 module (the USB key's driver library), e.g.
    /// /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long, env = "CERTDESK_PKCS11_MODULE")]
    module: PathBuf,
    /// Which USB key: its serial number or label (needed when several are plugged in).
    #[arg(long)]
    token: Option<String>,
    /// A file holding the PIN (first line). Otherwise the PIN is read from CERTDESK_TOKEN_PIN.
    #[arg(long)]
    pin_file: Option<PathBuf>,
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// The USB keys plugged in and what they hold (no PIN needed).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Generate a key pair on the USB key (the private key never leaves it).
    Keygen {
        /// The key's name on the USB key (default: certdesk-<date and time>).
        #[arg(long)]
        label: Option<String>,
        #[arg(long, default_value = "p256", value_parser = ["p256", "rsa2048"])]
        alg: String,
    },
    /// Write a certificate request (PKCS#10, PEM) for a key on the USB key.
    Csr {
        /// The key: its id (hex) or its name.
        #[arg(long)]
        key: String,
        /// commonName (default: the key's name).
        #[arg(long)]
        cn: Option<String>,
        /// organizationName.
        #[arg(long)]
        o: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write an issued certificate (and its chain, and an e-seal image) beside its key.
    Install {
        #[arg(long)]
        key: String,
        /// The certificate, PEM (further certificates in the file are taken as its chain).
        #[arg(long)]
        cert: PathBuf,
        /// The CA chain, PEM.
        #[arg(long)]
        chain: Option<PathBuf>,
        /// The e-seal image (印章图片): PNG, JPEG, GIF or SVG.
        #[arg(long)]
        seal: Option<PathBuf>,
    },
    /// 测试盖章: sign a test message, verify it against the certificate and ask OCSP.
    SignTest {
        #[arg(long)]
        key: String,
        #[arg(long, default_value = "certdesk 测试盖章")]
        message: String,
        /// Do not ask the OCSP responder.
        #[arg(long)]
        no_ocsp: bool,
    },
    /// 读取: what a 信息变更 needs from the USB key: its serial number and its certificates.
    /// With --server and --order, fills them in on the order (personal API token, scope 申请).
    Read {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArgs,
        /// The order to fill in (its id or order number).
        #[arg(long, requires = "server")]
        order: Option<String>,
        /// The key whose certificate to read (default: the only key with a certificate).
        #[arg(long)]
        key: Option<String>,
    },
    /// 制证: produce an approved order's certificate on this USB key (personal API token,
    /// scope 制证). Resumable: run it again after an interruption.
    Enroll {
        /// The order: its id or its order number.
        order: String,
        #[command(flatten)]
        server: ServerArgs,
        /// 延期 / 年检: generate a new key rather than keep the one of the certificate renewed.
        #[arg(long)]
        new_key: bool,
        #[arg(long, default_value = "p256", value_parser = ["p256", "rsa2048"])]
        alg: String,
    },
    /// 证书登录 (CA登录): sign the code shown on the sign-in page with --code; without it,
    /// sign in at the command line.
    Login {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        key: Option<String>,
        /// Keep the session token in this file (readable by its owner only).
        #[arg(long)]
        save_session: Option<PathBuf>,
    },
    /// 绑定CA: bind the certificate on this USB key to your account: sign the code shown on
    /// the 绑定CA page with --code, or without it use the personal API token (scope 绑定CA).
    Bind {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        key: Option<String>,
    },
}

/// Where the certdesk server is, and the personal API token to call it with.
#[derive(Args, Clone)]
struct ServerArgs {
    /// The certdesk server, e.g. https://ca.example.cn
    #[arg(long, env = "CERTDESK_SERVER")]
    server: Option<String>,
    /// A file holding the personal API token (first line). Otherwise it is read from
    /// CERTDESK_API_TOKEN.
    #[arg(long)]
    api_token_file: Option<PathBuf>,
}

impl ServerArgs {
    fn url(&self) -> Result<&str, Failure> {
        self.server.as_deref().ok_or_else(|| {
            fail("需要 certdesk 服务器地址：用 --server 指定，或设置环境变量 CERTDESK_SERVER")
        })
    }

    /// The server, called with the personal API token.
    fn with_token(&self) -> Result<server::Server, Failure> {
        let token = server::api_token(self.api_token_file.as_deref())?;
        server::Server::new(self.url()?, Some(token))
    }

    /// The server, called without a token (certificate login, signing a code).
    fn anonymous(&self) -> Result<server::Server, Failure> {
        server::Server::new(self.url()?, None)
    }
}

/// A failure of the tool: what to print, in plain words.
#[derive(Debug)]
pub struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        Failure(e.to_string())
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into())
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| fail(format!("无法读取{what} {}：{e}", path.display())))
}

fn pin(args: &TokenArgs) -> Result<Zeroizing<String>, Failure> {
    if let Some(path) = &args.pin_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| fail(format!("无法读取 PIN 文件 {}：{e}", path.display())))?,
        );
        return Ok(Zeroizing::new(
            text.lines().next().unwrap_or_default().trim().to_string(),
        ));
    }
    match std::env::var(PIN_ENV) {
        Ok(p) if !p.is_empty() => Ok(Zeroizing::new(p)),
        _ => Err(fail(format!(
            "需要 USB-KEY 的 PIN 码：请设置环境变量 {PIN_ENV}，或用 --pin-file 指定保存 PIN 的文件"
        ))),
    }
}

/// Runs a `certdesk token` command; the caller prints the failure and exits non-zero.
pub fn run(args: TokenArgs) -> Result<(), Failure> {
    let module = Module::load(&args.module)?;
    match &args.command {
        TokenCommand::List { json } => list(&module, *json),
        TokenCommand::Keygen { label, alg } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let alg = KeyAlg::parse(alg).ok_or_else(|| fail("算法只能是 p256 或 rsa2048"))?;
            let label = label.clone().unwrap_or_else(|| {
                format!("certdesk-{}", jiff::Zoned::now().strftime("%Y%m%d-%H%M%S"))
            });
            let key = token.keygen(&label, alg)?;
            println!("已在 USB-KEY 中生成密钥：{}", key.name());
            Ok(())
        }
        TokenCommand::Csr { key, cn, o, out } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let key = token.key(key)?;
            let mut subject = pki::DistinguishedName::new().country("CN");
            if let Some(o) = o {
                subject = subject.organisation(o.clone());
            }
            subject = subject.common_name(cn.clone().unwrap_or_else(|| key.info().label.clone()));
            let pem = pki::csr_pem(&token::csr(&key, &subject)?);
            match out {
                Some(path) => {
                    std::fs::write(path, pem)
                        .map_err(|e| fail(format!("无法写入 {}：{e}", path.display())))?;
                    println!("证书请求已写入 {}", path.display());
                }
                None => print!("{pem}"),
            }
            Ok(())
        }
        TokenCommand::Install {
            key,
            cert,
            chain,
            seal,
        } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let key = token.key(key)?;
            let mut certs = pki::certificates_from_pem(&read_file(cert, "证书文件")?)
                .map_err(|e| fail(format!("证书文件 {} 无法读取：{e}", cert.display())))?;
            let leaf = certs.remove(0);
            if let Some(chain) = chain {
                certs.extend(
                    pki::certificates_from_pem(&read_file(chain, "证书链文件")?).map_err(|e| {
                        fail(format!("证书链文件 {} 无法读取：{e}", chain.display()))
                    })?,
                );
            }
            let id = key.info().id.clone();
            token.install(&id, &leaf, &certs)?;
            println!("证书已写入 USB-KEY（密钥 {}）", key.info().name());
            if let Some(seal) = seal {
                let image = read_file(seal, "印章图片")?;
                token.install_seal(&id, &image, image_type(seal, &image))?;
                println!("印章图片已写入 USB-KEY");
            }
            Ok(())
        }
        TokenCommand::SignTest {
            key,
            message,
            no_ocsp,
        } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let id = token.key(key)?.info().id.clone();
            let fetch = ocsp::post;
            let fetch: Option<token::OcspFetch<'_>> = if *no_ocsp { None } else { Some(&fetch) };
            let test = token::sign_test(&token, &id, message.as_bytes(), fetch)?;
            println!("证书序列号：{}", test.certificate_serial);
            if let Some(cn) = &test.subject_cn {
                println!("证书主题：{cn}");
            }
            println!(
                "{}",
                if test.signature_ok {
                    "签名验证通过"
                } else {
                    "签名验证失败：签名与证书中的公钥不符"
                }
            );
            println!(
                "证书链：{}",
                if test.chain_ok {
                    "由 USB-KEY 中的签发者证书签发"
                } else {
                    "USB-KEY 中没有找到签发者证书，或证书签名不符"
                }
            );
            println!(
                "有效期：{}",
                if test.time_ok {
                    "在有效期内"
                } else {
                    "不在有效期内"
                }
            );
            println!("OCSP 状态：{}", test.ocsp.describe());
            if test.passed() {
                println!("测试盖章成功");
                Ok(())
            } else {
                Err(fail("测试盖章未通过"))
            }
        }
        TokenCommand::Read {
            json,
            server,
            order: Some(order),
            key,
        } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            enroll::read_into_order(&server.with_token()?, &token, order, key.as_deref(), *json)
        }
        TokenCommand::Enroll {
            order,
            server,
            new_key,
            alg,
        } => {
            let server = server.with_token()?;
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let alg = KeyAlg::parse(alg).ok_or_else(|| fail("算法只能是 p256 或 rsa2048"))?;
            enroll::enroll(&server, &token, order, *new_key, alg)
        }
        TokenCommand::Login {
            server,
            code,
            key,
            save_session,
        } => {
            let server = server.anonymous()?;
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            login::login(
                server,
                &token,
                key.as_deref(),
                code.as_deref(),
                save_session.as_deref(),
            )
        }
        TokenCommand::Bind { server, code, key } => {
            let server = if code.is_some() {
                server.anonymous()?
            } else {
                server.with_token()?
            };
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            login::bind(server, &token, key.as_deref(), code.as_deref())
        }
        TokenCommand::Read { json, .. } => {
            let token = module.open(args.token.as_deref(), &pin(&args)?)?;
            let read = token.read()?;
            if *json {
                println!("{}", to_json(&read)?);
                return Ok(());
            }
            println!("锁序列号：{}", read.token_serial);
            if read.certificates.is_empty() {
                println!("USB-KEY 中没有证书");
            }
            for c in &read.certificates {
                print_certificate(c);
            }
            Ok(())
        }
    }
}

fn list(module: &Module, json: bool) -> Result<(), Failure> {
    let tokens = module.tokens()?;
    if json {
        println!("{}", to_json(&tokens)?);
        return Ok(());
    }
    if tokens.is_empty() {
        return Err(TokenError::NoToken.into());
    }
    for t in &tokens {
        println!(
            "USB-KEY：{}  锁序列号：{}  厂商：{}  型号：{}",
            t.label, t.serial, t.manufacturer, t.model
        );
        for c in &t.certificates {
            print_certificate(c);
        }
        for k in &t.public_keys {
            println!("  密钥：{}（id {}）", k.label, k.id);
        }
    }
    Ok(())
}

fn print_certificate(c: &token::CertificateInfo) {
    let date = |t: jiff::Timestamp| {
        t.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let kind = if c.authority { "CA 证书" } else { "证书" };
    println!(
        "  {kind}：{}  序列号 {}  有效期至 {}  签发者 {}  id {}",
        c.subject.cn.as_deref().unwrap_or("-"),
        c.serial,
        date(c.not_after),
        c.issuer_cn.as_deref().unwrap_or("-"),
        c.key_id
    );
    if !c.authority {
        if let Some(o) = &c.subject.o {
            println!("    单位名称：{o}");
        }
        if let Some(u) = &c.subject.uscc {
            println!("    统一社会信用代码：{u}");
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| fail(format!("无法输出 JSON：{e}")))
}

/// The media type of an e-seal image, from its first bytes, else its file name.
fn image_type(path: &Path, image: &[u8]) -> &'static str {
    if image.starts_with(b"\x89PNG") {
        "image/png"
    } else if image.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if image.starts_with(b"GIF8") {
        "image/gif"
    } else {
        match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => "image/svg+xml",
            _ => "application/octet-stream",
        }
    }
}
