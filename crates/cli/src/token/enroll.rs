//! `certdesk token enroll <order>`: produce an approved order's certificate on the
//! plugged-in USB key. An operator at the service desk (新办, 补办) or the applicant online
//! (延期, 信息变更, 年检) runs it with their personal API token.
//!
//! The steps, each safe to repeat:
//! 1. fetch the order; if one of its certificates belongs to a key on this token (an earlier
//!    run was cut off after the server issued it), install that one and stop;
//! 2. take the key: the one an earlier run generated for this order (labelled
//!    `certdesk-<order number>`), or for 延期 / 年检 the key holding the certificate renewed,
//!    else a new one generated on the token;
//! 3. send its CSR with the 锁序列号; the server records the certificate before it answers;
//! 4. install the certificate, its chain and, for an e-seal, the seal image.
//!
//! The server refuses a second production of a completed order, so one order never yields
//! two certificates for one key; a network failure at any step leaves the token as it was or
//! holding the order's key, from which the next run goes on.

use serde::{Deserialize, Serialize};
use token::{KeyAlg, KeyInfo, Token};

use super::server::{CallError, Server};
use super::{Failure, fail};

#[derive(Deserialize)]
struct Order {
    id: String,
    order_number: String,
    kind: String,
    cert_type: String,
    status: String,
    quantity: u32,
    version: i64,
    organisation_name: Option<String>,
    /// What the caller may do with the order now (`produce`, …).
    actions: Vec<String>,
    form: Form,
    certificates: Vec<Produced>,
}

#[derive(Deserialize)]
struct Form {
    certificate_serial: String,
}

#[derive(Deserialize)]
struct Produced {
    serial: String,
    status: String,
}

#[derive(Deserialize)]
struct OrderList {
    items: Vec<OrderSummary>,
}

#[derive(Deserialize)]
struct OrderSummary {
    id: String,
    order_number: String,
}

#[derive(Serialize)]
struct ProduceRequest<'a> {
    csr: &'a str,
    token_serial: &'a str,
    version: i64,
}

#[derive(Deserialize)]
struct ProducedBody {
    serial: Option<String>,
    certificate: Option<String>,
    chain: Option<String>,
    revoked: Option<String>,
    issued: u32,
    quantity: u32,
}

/// A kind's or a status's Chinese name, from the pages' catalogue (`kind.renew` → 延期).
fn label(group: &str, key: &str) -> String {
    let key = format!("{group}.{key}");
    web::CATALOG.tr(web::Lang::Zh).get(&key).to_owned()
}

fn kind_zh(kind: &str) -> String {
    label("kind", kind)
}

fn status_zh(status: &str) -> String {
    label("status", status)
}

/// The order by its id, or by its order number (looked up in the orders one may see).
fn find_order(server: &Server, order: &str) -> Result<Order, Failure> {
    let order = order.trim();
    let id = if uuid_like(order) {
        order.to_owned()
    } else {
        let list: OrderList = server
            .get(&format!("/api/v1/applications?q={}", encode(order)))
            .map_err(|e| match e {
                CallError::Refused(r) if r.status == reqwest::StatusCode::FORBIDDEN => fail(
                    format!("无法按订单号查找订单（{}）：请改用订单 ID（订单页面地址 /orders/ 之后的部分）", r.message),
                ),
                other => other.into(),
            })?;
        list.items
            .into_iter()
            .find(|o| o.order_number == order)
            .map(|o| o.id)
            .ok_or_else(|| fail(format!("找不到订单 {order}，或您无权查看")))?
    };
    Ok(server.get(&format!("/api/v1/applications/{id}"))?)
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A certificate and the chain after it, from the server, as DER.
fn fetch_certificate(server: &Server, serial: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), Failure> {
    let pem = server.get_bytes(&format!("/api/v1/certificates/{serial}/download/chain"))?;
    let mut certs = pki::certificates_from_pem(&pem)
        .map_err(|e| fail(format!("服务器返回的证书 {serial} 无法识别：{e}")))?;
    if certs.is_empty() {
        return Err(fail(format!("服务器没有返回证书 {serial}")));
    }
    let leaf = certs.remove(0);
    Ok((leaf, certs))
}

/// Writes the certificate, its chain and (for an e-seal) its seal image beside the key.
fn install(
    server: &Server,
    token: &Token,
    key: &KeyInfo,
    order: &Order,
    serial: &str,
    leaf: &[u8],
    chain: &[Vec<u8>],
) -> Result<(), Failure> {
    token.install(&key.id, leaf, chain)?;
    println!("证书 {serial} 已写入 USB-KEY（密钥 {}）", key.name());
    if order.cert_type == "seal" {
        let image = server.get_bytes(&format!("/api/v1/certificates/{serial}/download/seal"))?;
        token.install_seal(
            &key.id,
            &image,
            super::image_type(std::path::Path::new(""), &image),
        )?;
        println!("印章图片已写入 USB-KEY（灌章完成）");
    }
    Ok(())
}

/// Step 1: an earlier run's certificate for a key on this token, installed.
fn resume(server: &Server, token: &Token, order: &Order) -> Result<bool, Failure> {
    for c in order.certificates.iter().filter(|c| c.status == "valid") {
        let (leaf, chain) = fetch_certificate(server, &c.serial)?;
        if let Some(key) = token.key_for_certificate(&leaf)? {
            let installed = token.certificate(&key.id)?.is_some_and(|d| d == leaf);
            if installed {
                println!(
                    "订单 {} 的证书 {} 已在这把 USB-KEY 中，无需重复制证",
                    order.order_number, c.serial
                );
            } else {
                println!(
                    "订单 {} 已为这把 USB-KEY 中的密钥签发证书 {}（上次运行中断），现在写入",
                    order.order_number, c.serial
                );
                install(server, token, &key, order, &c.serial, &leaf, &chain)?;
            }
            return Ok(true);
        }
    }
    Ok(false)
}

/// Step 2: the key to certify.
fn key_for(token: &Token, order: &Order, new_key: bool, alg: KeyAlg) -> Result<KeyInfo, Failure> {
    let label = format!("certdesk-{}", order.order_number);
    let keys = token.keys()?;
    if let Some(k) = keys.iter().find(|k| k.label == label) {
        println!("沿用上次为本订单生成的密钥 {}", k.name());
        return Ok(k.clone());
    }
    let same_key_allowed = matches!(order.kind.as_str(), "renew" | "inspect");
    if same_key_allowed && !new_key && !order.form.certificate_serial.is_empty() {
        let wanted = order.form.certificate_serial.to_ascii_uppercase();
        for k in &keys {
            if let Some(der) = token.certificate(&k.id)?
                && token::certificate_serial(&der).is_ok_and(|s| s == wanted)
            {
                println!(
                    "沿用原证书 {wanted} 的密钥 {}（{}）",
                    k.name(),
                    kind_zh(&order.kind)
                );
                return Ok(k.clone());
            }
        }
        println!("这把 USB-KEY 中没有原证书 {wanted} 的密钥：生成新密钥");
    }
    let key = token.keygen(&label, alg)?;
    println!(
        "已在 USB-KEY 中生成新密钥 {}（私钥不出 USB-KEY）",
        key.name()
    );
    Ok(key)
}

pub fn enroll(
    server: &Server,
    token: &Token,
    order: &str,
    new_key: bool,
    alg: KeyAlg,
) -> Result<(), Failure> {
    let order = find_order(server, order)?;
    println!(
        "订单 {}：{}，{}，{}",
        order.order_number,
        kind_zh(&order.kind),
        order.organisation_name.as_deref().unwrap_or("个人"),
        status_zh(&order.status)
    );
    if order.kind == "cancel" {
        return Err(fail("注销不需要 USB-KEY：由操作员在订单页面办理"));
    }
    if resume(server, token, &order)? {
        return Ok(());
    }
    if order.status != "awaiting_production" {
        return Err(fail(format!(
            "订单 {} 当前为“{}”，不能制证：只有审核通过并已支付、处于“待制证”的订单可以制证",
            order.order_number,
            status_zh(&order.status)
        )));
    }
    if !order.actions.iter().any(|a| a == "produce") {
        return Err(fail(format!(
            "您（个人令牌的账号）不能为订单 {} 制证：{}由{}制证；个人令牌还需勾选“制证”权限。USB-KEY 未被改动",
            order.order_number,
            kind_zh(&order.kind),
            if matches!(order.kind.as_str(), "new" | "replace") {
                "办理点操作员"
            } else {
                "申请人在线"
            }
        )));
    }
    let key = key_for(token, &order, new_key, alg)?;
    let signer = token.key(&key.id_hex())?;
    let mut subject = pki::DistinguishedName::new().country("CN");
    if let Some(o) = &order.organisation_name {
        subject = subject.organisation(o.clone());
    }
    subject = subject.common_name(order.order_number.clone());
    let csr = pki::csr_pem(&token::csr(&signer, &subject)?);
    let token_serial = token.info().serial.clone();
    let answer: Result<(reqwest::StatusCode, ProducedBody), CallError> = server.post(
        &format!("/api/v1/applications/{}/production", order.id),
        &ProduceRequest {
            csr: &csr,
            token_serial: &token_serial,
            version: order.version,
        },
    );
    let produced = match answer {
        Ok((_, p)) => p,
        Err(CallError::Network(m)) => {
            return Err(fail(format!(
                "{m}\n证书可能已经签发。USB-KEY 中的密钥 {} 已保留：网络恢复后重新运行同一命令即可继续（不会重复签发）。",
                key.name()
            )));
        }
        Err(CallError::Refused(r)) => {
            // Produced meanwhile (another run, or the answer was lost): go on from there.
            let again = find_order(server, &order.id)?;
            if resume(server, token, &again)? {
                return Ok(());
            }
            return Err(r.into_failure());
        }
    };
    let (Some(serial), Some(pem)) = (produced.serial, produced.certificate) else {
        return Err(fail("服务器没有返回证书"));
    };
    let leaf = pki::certificates_from_pem(pem.as_bytes())
        .ok()
        .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
        .ok_or_else(|| fail("服务器返回的证书无法识别"))?;
    let chain = match produced.chain {
        Some(c) => pki::certificates_from_pem(c.as_bytes())
            .map_err(|e| fail(format!("服务器返回的证书链无法识别：{e}")))?,
        None => Vec::new(),
    };
    println!(
        "证书已签发：序列号 {serial}（本订单已制 {}/{}）",
        produced.issued, produced.quantity
    );
    if let Some(old) = produced.revoked {
        println!("原证书 {old} 已吊销");
    }
    install(server, token, &key, &order, &serial, &leaf, &chain)?;
    if produced.issued < order.quantity.max(produced.quantity) {
        println!(
            "本订单还需制作 {} 张证书：请插入下一把 USB-KEY 再运行本命令",
            produced.quantity - produced.issued
        );
    }
    println!(
        "制证完成。可运行 `certdesk token sign-test --key {}` 测试盖章",
        key.id_hex()
    );
    Ok(())
}

#[derive(Serialize)]
struct Readout<'a> {
    certificate: String,
    token_serial: &'a str,
}

#[derive(Deserialize, Serialize)]
struct KeyReadout {
    serial: String,
    token_serial: String,
    holder_name: String,
    organisation_name: Option<String>,
    credit_code: Option<String>,
    subject: String,
    not_after: String,
}

/// 读取 into an order: the key's certificate fills in the certificate the order is about.
pub fn read_into_order(
    server: &Server,
    token: &Token,
    order: &str,
    key: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    use base64::Engine as _;
    let order = find_order(server, order)?;
    let key = super::login::signing_key(token, key)?;
    let certificate = token
        .certificate(&key.info().id)?
        .ok_or_else(|| fail(format!("密钥 {} 旁没有证书", key.info().name())))?;
    let (_, read): (_, KeyReadout) = server.post(
        &format!("/api/v1/applications/{}/key-readout", order.id),
        &Readout {
            certificate: base64::engine::general_purpose::STANDARD.encode(&certificate),
            token_serial: &token.info().serial,
        },
    )?;
    if json {
        println!("{}", super::to_json(&read)?);
        return Ok(());
    }
    println!(
        "已读取 USB-KEY（锁序列号 {}）并填入订单 {}：",
        read.token_serial, order.order_number
    );
    println!("  证书序列号：{}", read.serial);
    println!("  持有人：{}", read.holder_name);
    if let Some(o) = &read.organisation_name {
        println!("  单位名称：{o}");
    }
    if let Some(c) = &read.credit_code {
        println!("  统一社会信用代码：{c}");
    }
    println!("  有效期至：{}", read.not_after);
    println!("请回到网页刷新订单，填写需变更的信息后提交");
    Ok(())
}
