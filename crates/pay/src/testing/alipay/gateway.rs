//! The fake gateway's `/gateway.do`: the common parameters and the signature checked
//! as Alipay checks them, then each method done on the in-memory books.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use domain::Fen;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{APP_ID, Books, FakeRefund, FakeTrade, SELLER_ID, Shared, expire};
use crate::alipay::{china_time, parse_china_time, sign_content};

const METHODS: [&str; 5] = [
    "alipay.trade.precreate",
    "alipay.trade.query",
    "alipay.trade.close",
    "alipay.trade.refund",
    "alipay.trade.fastpay.refund.query",
];

pub(super) async fn gateway(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let query = query.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()).chain(form_urlencoded::parse(&body)) {
        params.insert(k.into_owned(), v.into_owned());
    }
    let method = params.get("method").cloned();
    let latency = {
        let mut books = shared.books();
        if let Some(m) = &method {
            books.calls.push(m.clone());
        }
        books.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = handle(&shared, &params);
    let node = match &method {
        Some(m) if METHODS.contains(&m.as_str()) => format!("{}_response", m.replace('.', "_")),
        _ => "error_response".to_string(),
    };
    // Alipay escapes `/` in its JSON; a client must verify the text as sent.
    let text = answer.to_string().replace('/', "\\/");
    let sign = shared.alipay.sign(&text).unwrap_or_default();
    let text = if shared.books().tamper {
        text.replacen('{', "{\"tampered\":\"1\",", 1)
    } else {
        text
    };
    let body = format!("{{\"{node}\":{text},\"sign\":\"{sign}\"}}");
    (
        [(http::header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

fn error(code: &str, msg: &str, sub_code: &str, sub_msg: &str) -> Value {
    json!({ "code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg })
}

fn missing(sub_code: &str, sub_msg: &str) -> Value {
    error("40001", "Missing Required Arguments", sub_code, sub_msg)
}

fn invalid(sub_code: &str, sub_msg: &str) -> Value {
    error("40002", "Invalid Arguments", sub_code, sub_msg)
}

fn business(sub_code: &str, sub_msg: &str) -> Value {
    error("40004", "Business Failed", sub_code, sub_msg)
}

fn success(mut fields: Value) -> Value {
    if let Some(map) = fields.as_object_mut() {
        map.insert("code".into(), "10000".into());
        map.insert("msg".into(), "Success".into());
    }
    fields
}

/// Checks the common parameters and the signature, then does what the method says.
fn handle(shared: &Shared, params: &BTreeMap<String, String>) -> Value {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(method) = get("method") else {
        return missing("isv.missing-method", "缺少方法名参数");
    };
    if !METHODS.contains(&method) {
        return invalid("isv.invalid-method", "不存在的方法名");
    }
    let Some(app_id) = get("app_id") else {
        return missing("isv.missing-app-id", "缺少AppID参数");
    };
    if app_id != APP_ID {
        return invalid("isv.invalid-app-id", "无效的AppID参数");
    }
    let Some(sign) = get("sign") else {
        return missing("isv.missing-signature", "缺少签名参数");
    };
    match get("sign_type") {
        None => return missing("isv.missing-signature-type", "缺少签名类型参数"),
        Some("RSA2") => {}
        Some(_) => return invalid("isv.invalid-signature-type", "无效签名类型"),
    }
    let content = sign_content(
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["sign"],
    );
    if !shared.app_public.verify(&content, sign) {
        return invalid(
            "isv.invalid-signature",
            "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配",
        );
    }
    if get("charset").is_some_and(|c| !c.eq_ignore_ascii_case("utf-8")) {
        return invalid("isv.invalid-charset", "字符集错误");
    }
    if get("format").is_some_and(|f| f != "JSON") {
        return invalid("isv.invalid-format", "无效数据格式");
    }
    if get("version") != Some("1.0") {
        return invalid("isv.invalid-parameter", "参数无效");
    }
    let Some(timestamp) = get("timestamp") else {
        return missing("isv.missing-timestamp", "缺少时间戳参数");
    };
    let now = Timestamp::now();
    match parse_china_time(timestamp) {
        Some(t) if now.duration_since(t).abs() <= SignedDuration::from_mins(10) => {}
        _ => return invalid("isv.invalid-timestamp", "非法的时间戳参数"),
    }
    let biz: Value = match get("biz_content").map(serde_json::from_str) {
        Some(Ok(v @ Value::Object(_))) => v,
        _ => return business("ACQ.INVALID_PARAMETER", "参数无效: biz_content"),
    };
    let text = |name: &str| {
        biz.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(out_trade_no) = text("out_trade_no") else {
        return business("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no");
    };

    let mut books = shared.books();
    if method == "alipay.trade.precreate" {
        return precreate(
            &mut books,
            out_trade_no,
            &biz,
            get("notify_url").unwrap_or(""),
            now,
        );
    }
    let Some(trade) = books.trades.get_mut(out_trade_no) else {
        return business("ACQ.TRADE_NOT_EXIST", "交易不存在");
    };
    expire(trade, now);
    match method {
        "alipay.trade.query" => success(json!({
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "fak***@example.com",
            "trade_status": trade.state,
            "total_amount": trade.amount.yuan_string(),
            "send_pay_date": china_time(now),
        })),
        "alipay.trade.close" => {
            if trade.state != "WAIT_BUYER_PAY" {
                return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
            }
            trade.state = "TRADE_CLOSED".into();
            success(json!({ "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no }))
        }
        "alipay.trade.refund" => refund(trade, &biz, now),
        "alipay.trade.fastpay.refund.query" => {
            let Some(refund_no) = text("out_request_no") else {
                return business("ACQ.INVALID_PARAMETER", "参数无效: out_request_no");
            };
            match trade.refunds.iter().find(|r| r.refund_no == refund_no) {
                Some(r) => success(json!({
                    "trade_no": trade.trade_no,
                    "out_trade_no": trade.out_trade_no,
                    "out_request_no": r.refund_no,
                    "total_amount": trade.amount.yuan_string(),
                    "refund_amount": r.amount.yuan_string(),
                    "refund_status": "REFUND_SUCCESS",
                })),
                // Alipay answers success with no refund fields for a refund it never made.
                None => success(
                    json!({ "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no }),
                ),
            }
        }
        _ => invalid("isv.invalid-method", "不存在的方法名"),
    }
}

fn precreate(
    books: &mut Books,
    out_trade_no: &str,
    biz: &Value,
    notify_url: &str,
    now: Timestamp,
) -> Value {
    let text = |name: &str| {
        biz.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let amount = match text("total_amount").map(Fen::parse_yuan) {
        Some(Ok(a)) if a.0 > 0 && a <= Fen::from_yuan(100_000_000) => a,
        _ => return business("ACQ.INVALID_PARAMETER", "参数无效: total_amount"),
    };
    let Some(subject) = text("subject") else {
        return business("ACQ.INVALID_PARAMETER", "参数无效: subject");
    };
    if text("seller_id").is_some_and(|s| s != SELLER_ID) {
        return business("ACQ.INVALID_PARAMETER", "参数无效: seller_id");
    }
    let time_expire = match text("time_expire").map(parse_china_time) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => return business("ACQ.INVALID_PARAMETER", "参数无效: time_expire"),
    };
    let qr_code = |trade_no: &str| format!("https://qr.alipay.com/fake{trade_no}");
    if let Some(trade) = books.trades.get_mut(out_trade_no) {
        expire(trade, now);
        return match trade.state.as_str() {
            "WAIT_BUYER_PAY" if trade.amount == amount => success(json!({
                "out_trade_no": trade.out_trade_no,
                "qr_code": qr_code(&trade.trade_no),
            })),
            "WAIT_BUYER_PAY" => business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
            "TRADE_CLOSED" => business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
            _ => business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
        };
    }
    books.serial += 1;
    let date = china_time(now).replace('-', "");
    let trade_no = format!("{}22001{:015}", &date[..8], books.serial);
    let trade = FakeTrade {
        out_trade_no: out_trade_no.to_string(),
        trade_no: trade_no.clone(),
        state: "WAIT_BUYER_PAY".into(),
        amount,
        subject: subject.to_string(),
        notify_url: notify_url.to_string(),
        time_expire,
        refunds: Vec::new(),
    };
    books.trades.insert(out_trade_no.to_string(), trade);
    success(json!({ "out_trade_no": out_trade_no, "qr_code": qr_code(&trade_no) }))
}

fn refund(trade: &mut FakeTrade, biz: &Value, now: Timestamp) -> Value {
    let text = |name: &str| {
        biz.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let amount = match text("refund_amount").map(Fen::parse_yuan) {
        Some(Ok(a)) if a.0 > 0 => a,
        _ => return business("ACQ.INVALID_PARAMETER", "参数无效: refund_amount"),
    };
    // Without out_request_no Alipay takes the trade number: one refund per trade.
    let refund_no = text("out_request_no")
        .unwrap_or(&trade.out_trade_no)
        .to_string();
    let answer = |trade: &FakeTrade, fund_change: &str| {
        success(json!({
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "fak***@example.com",
            "fund_change": fund_change,
            "refund_fee": trade.refunded().yuan_string(),
            "gmt_refund_pay": china_time(now),
        }))
    };
    if let Some(done) = trade.refunds.iter().find(|r| r.refund_no == refund_no) {
        if done.amount != amount {
            return business("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致");
        }
        return answer(trade, "N");
    }
    if trade.state != "TRADE_SUCCESS" {
        return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    }
    let refunded = trade.refunded();
    if refunded
        .checked_add(amount)
        .is_none_or(|sum| sum > trade.amount)
    {
        return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    }
    trade.refunds.push(FakeRefund {
        refund_no,
        amount,
        reason: text("refund_reason").unwrap_or("").to_string(),
    });
    if trade.refunded() == trade.amount {
        trade.state = "TRADE_CLOSED".into();
    }
    answer(trade, "Y")
}
