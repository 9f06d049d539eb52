//! PEM armour (RFC 7468): one label, base64 body in 64-column lines.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Whether the input looks like PEM rather than DER.
pub(crate) fn looks_like_pem(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    input[start..].starts_with(b"-----BEGIN ")
}

/// Decodes the first PEM block whose label is one of `labels`; text around blocks is ignored.
pub(crate) fn decode(input: &[u8], labels: &[&str]) -> Result<Vec<u8>, &'static str> {
    decode_all(input, labels)?
        .into_iter()
        .next()
        .ok_or("no PEM block with the expected label")
}

/// Decodes every PEM block whose label is one of `labels`, in order.
pub(crate) fn decode_all(input: &[u8], labels: &[&str]) -> Result<Vec<Vec<u8>>, &'static str> {
    let text = std::str::from_utf8(input).map_err(|_| "PEM is not UTF-8")?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + 11..];
        let end_label = after.find("-----").ok_or("unterminated PEM header")?;
        let label = &after[..end_label];
        let body_start = &after[end_label + 5..];
        let footer = format!("-----END {label}-----");
        let body_end = body_start.find(&footer).ok_or("missing PEM footer")?;
        let body = &body_start[..body_end];
        rest = &body_start[body_end + footer.len()..];
        if !labels.contains(&label) {
            continue;
        }
        if body.contains(':') {
            return Err("PEM headers (legacy encrypted PEM) are not supported");
        }
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        out.push(STANDARD.decode(b64).map_err(|_| "bad base64 in PEM")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = super::encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(
            super::decode(pem.as_bytes(), &["CERTIFICATE"]).unwrap(),
            der
        );
        assert!(super::decode(pem.as_bytes(), &["X509 CRL"]).is_err());
    }
}
