//! Notifications (支付通知, 退款通知): signature, freshness, then the encrypted resource.

use std::collections::HashMap;

use domain::Fen;
use jiff::Timestamp;
use serde::Deserialize;

use super::sign::{self, Unverified};
use crate::{Notice, NoticeError, RefundState};

/// A notification further than this from our clock, either way, is a replay.
const FRESHNESS_SECS: i64 = 5 * 60;

#[derive(Deserialize)]
struct Envelope {
    event_type: String,
    resource: Resource,
}

#[derive(Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

#[derive(Deserialize)]
struct TradeAmount {
    total: i64,
}

#[derive(Deserialize)]
struct Transaction {
    mchid: String,
    appid: String,
    out_trade_no: String,
    transaction_id: Option<String>,
    trade_state: String,
    amount: TradeAmount,
}

#[derive(Deserialize)]
struct RefundAmount {
    refund: i64,
}

#[derive(Deserialize)]
struct Refund {
    mchid: String,
    out_trade_no: String,
    out_refund_no: String,
    refund_id: Option<String>,
    refund_status: String,
    amount: RefundAmount,
}

fn malformed(why: impl Into<String>) -> NoticeError {
    NoticeError::Malformed(why.into())
}

pub(super) fn verify(
    keys: &HashMap<String, Vec<u8>>,
    api_v3_key: &[u8],
    mchid: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<Notice, NoticeError> {
    let verified = sign::verify(keys, headers, body).map_err(|e| match e {
        Unverified::Missing(h) => malformed(format!("no {h} header")),
        Unverified::UnknownKey(serial) => NoticeError::UnknownKey(serial),
        Unverified::BadSignature => NoticeError::BadSignature,
    })?;
    if (now.as_second() - verified.timestamp).abs() > FRESHNESS_SECS {
        return Err(NoticeError::Stale);
    }

    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not a notification: {e}")))?;
    let r = &envelope.resource;
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(malformed(format!("unknown algorithm {}", r.algorithm)));
    }
    let plain = sign::decrypt(api_v3_key, &r.nonce, &r.associated_data, &r.ciphertext)
        .map_err(malformed)?;

    match envelope.event_type.as_str() {
        "TRANSACTION.SUCCESS" => {
            let t: Transaction = serde_json::from_slice(&plain)
                .map_err(|e| malformed(format!("not a transaction: {e}")))?;
            let state = super::trade_state(
                &t.trade_state,
                t.transaction_id.clone(),
                Some(t.amount.total),
            )
            .map_err(malformed)?;
            let transaction_id = t
                .transaction_id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| malformed("no transaction_id"))?;
            Ok(Notice::Trade {
                out_trade_no: t.out_trade_no,
                transaction_id,
                state,
                amount: Fen(t.amount.total),
                merchant: super::merchant(&t.mchid, &t.appid),
            })
        }
        "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
            let r: Refund = serde_json::from_slice(&plain)
                .map_err(|e| malformed(format!("not a refund: {e}")))?;
            if r.mchid != mchid {
                // Refund notices carry no app: the merchant is all there is to check.
                return Err(malformed("a refund of another merchant"));
            }
            let state = match r.refund_status.as_str() {
                "SUCCESS" => RefundState::Succeeded,
                "ABNORMAL" => RefundState::Abnormal,
                "CLOSED" => RefundState::Closed,
                "PROCESSING" => RefundState::Processing,
                other => return Err(malformed(format!("unknown refund_status {other}"))),
            };
            Ok(Notice::Refund {
                out_trade_no: r.out_trade_no,
                refund_no: r.out_refund_no,
                provider_refund_id: r.refund_id,
                state,
                amount: Fen(r.amount.refund),
            })
        }
        other => Err(malformed(format!("unknown event_type {other}"))),
    }
}
