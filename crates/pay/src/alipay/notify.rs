//! Alipay's asynchronous notifications (异步通知): a form POST to `notify_url`, signed
//! with RSA2 over every parameter but `sign` and `sign_type`, URL-decoded, sorted.

use std::collections::BTreeMap;

use domain::Fen;
use jiff::{SignedDuration, Timestamp};

use super::keys::{self, VerifyingKey};
use crate::{Notice, NoticeError, TradeState};

/// How far `notify_time` (when Alipay sent it; every retry is sent afresh) may be
/// from our clock, either way, before the notification is taken for a replay.
const FRESHNESS: SignedDuration = SignedDuration::from_mins(15);

pub(super) fn verify(
    alipay_key: &VerifyingKey,
    body: &[u8],
    now: Timestamp,
) -> Result<Notice, NoticeError> {
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if params.insert(name.clone(), value).is_some() {
            return Err(NoticeError::Malformed(format!("`{name}` given twice")));
        }
    }
    let sign = params
        .get("sign")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NoticeError::Malformed("no `sign`".into()))?;
    if let Some(sign_type) = params.get("sign_type")
        && sign_type != "RSA2"
    {
        return Err(NoticeError::Malformed(format!(
            "sign_type `{sign_type}` (only RSA2 is accepted)"
        )));
    }
    let content = keys::sign_content(
        params.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        &["sign", "sign_type"],
    );
    if !alipay_key.verify(&content, sign) {
        return Err(NoticeError::BadSignature);
    }

    let field = |name: &str| -> Result<&str, NoticeError> {
        params
            .get(name)
            .map(|v| v.as_ref())
            .filter(|v: &&str| !v.is_empty())
            .ok_or_else(|| NoticeError::Malformed(format!("no `{name}`")))
    };
    let notify_time = field("notify_time")?;
    let sent = keys::parse_china_time(notify_time)
        .ok_or_else(|| NoticeError::Malformed(format!("notify_time `{notify_time}`")))?;
    if now.duration_since(sent).abs() > FRESHNESS {
        return Err(NoticeError::Stale);
    }
    if let Some(charset) = params.get("charset")
        && !charset.eq_ignore_ascii_case("utf-8")
    {
        return Err(NoticeError::Malformed(format!("charset `{charset}`")));
    }

    let out_trade_no = field("out_trade_no")?.to_string();
    let transaction_id = field("trade_no")?.to_string();
    let total_amount = field("total_amount")?;
    let amount = Fen::parse_yuan(total_amount)
        .map_err(|e| NoticeError::Malformed(format!("total_amount `{total_amount}`: {e}")))?;
    let merchant = format!("{}/{}", field("app_id")?, field("seller_id")?);
    let state = match field("trade_status")? {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => TradeState::Paid {
            transaction_id: transaction_id.clone(),
            amount,
        },
        "TRADE_CLOSED" => TradeState::Closed,
        "WAIT_BUYER_PAY" => TradeState::NotPaid,
        other => {
            return Err(NoticeError::Malformed(format!("trade_status `{other}`")));
        }
    };
    Ok(Notice::Trade {
        out_trade_no,
        transaction_id,
        state,
        amount,
        merchant,
    })
}
