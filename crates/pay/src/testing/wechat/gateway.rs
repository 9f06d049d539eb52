//! The gateway's HTTP side: one handler that checks the signature, then the API v3
//! endpoints a Native merchant uses.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use domain::Fen;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::keys::random_alnum;
use super::{FakeRefund, FakeTrade, Inner, Trade, china_time};

pub(super) fn trade_state_desc(state: &str) -> &'static str {
    match state {
        "SUCCESS" => "支付成功",
        "NOTPAY" => "未支付",
        "CLOSED" => "已关闭",
        "REFUND" => "转入退款",
        _ => "",
    }
}

pub(super) async fn handle(
    State(inner): State<Arc<Inner>>,
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let latency = {
        let mut books = inner.books();
        books.calls.push(format!("{method} {path}"));
        books.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Err(why) = inner.check_signature(method.as_str(), &path_and_query, &headers, &body) {
        return inner.error(401, "SIGN_ERROR", &format!("签名错误: {why}"));
    }
    let json: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return inner.error(400, "PARAM_ERROR", "请求体不是JSON"),
        }
    };
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();

    const TRADE: &str = "/v3/pay/transactions/out-trade-no/";
    const REFUNDS: &str = "/v3/refund/domestic/refunds";
    match (method.as_str(), path.as_str()) {
        ("POST", "/v3/pay/transactions/native") => create(&inner, &json),
        ("POST", REFUNDS) => refund(&inner, &json),
        ("GET", p) if p.starts_with(TRADE) && !p[TRADE.len()..].contains('/') => {
            if query.get("mchid").map(String::as_str) != Some(inner.mchid.as_str()) {
                return inner.error(400, "PARAM_ERROR", "mchid 参数错误");
            }
            query_trade(&inner, &p[TRADE.len()..])
        }
        ("POST", p) if p.starts_with(TRADE) && p.ends_with("/close") => {
            let no = &p[TRADE.len()..p.len() - "/close".len()];
            if json["mchid"].as_str() != Some(inner.mchid.as_str()) {
                return inner.error(400, "PARAM_ERROR", "mchid 参数错误");
            }
            close(&inner, no)
        }
        ("GET", p) if p.starts_with(REFUNDS) && p[REFUNDS.len()..].starts_with('/') => {
            query_refund(&inner, &p[REFUNDS.len() + 1..])
        }
        _ => inner.error(404, "NOT_FOUND", "接口不存在"),
    }
}

fn create(inner: &Inner, req: &Value) -> Response {
    let s = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (appid, mchid, out_trade_no) = (s("appid"), s("mchid"), s("out_trade_no"));
    let (description, notify_url, time_expire) =
        (s("description"), s("notify_url"), s("time_expire"));
    if mchid != inner.mchid || appid != inner.appid {
        return inner.error(400, "PARAM_ERROR", "appid和mch_id不匹配");
    }
    if out_trade_no.is_empty() || description.is_empty() || !notify_url.starts_with("http") {
        return inner.error(400, "PARAM_ERROR", "缺少参数");
    }
    let Some(total) = req["amount"]["total"].as_i64().filter(|t| *t > 0) else {
        return inner.error(400, "PARAM_ERROR", "amount.total 错误");
    };
    if req["amount"]["currency"].as_str().unwrap_or("CNY") != "CNY" {
        return inner.error(400, "PARAM_ERROR", "币种错误");
    }
    // RFC 3339 with an offset, as the protocol demands.
    let expires_at = if time_expire.is_empty() {
        Timestamp::now() + jiff::SignedDuration::from_hours(2)
    } else {
        match time_expire.parse::<Timestamp>() {
            Ok(t) if time_expire.ends_with("+08:00") => t,
            _ => return inner.error(400, "PARAM_ERROR", "time_expire 格式错误"),
        }
    };
    let mut books = inner.books();
    if let Some(existing) = books.trades.get(&out_trade_no) {
        return match existing.t.state.as_str() {
            "NOTPAY" if existing.t.amount == Fen(total) => {
                inner.answer(200, Some(json!({ "code_url": existing.code_url })))
            }
            "NOTPAY" => inner.error(400, "INVALID_REQUEST", "订单号重复"),
            "CLOSED" => inner.error(400, "ORDER_CLOSED", "订单已关闭"),
            _ => inner.error(403, "ORDERPAID", "该订单已支付"),
        };
    }
    let code_url = format!(
        "weixin://wxpay/bizpayurl?pr={}",
        random_alnum(&inner.rng, 7)
    );
    books.trades.insert(
        out_trade_no.clone(),
        Trade {
            t: FakeTrade {
                out_trade_no,
                state: "NOTPAY".to_owned(),
                amount: Fen(total),
                description,
                notify_url,
                expires_at,
                transaction_id: None,
                refunds: Vec::new(),
            },
            appid,
            code_url: code_url.clone(),
            success_time: None,
        },
    );
    inner.answer(200, Some(json!({ "code_url": code_url })))
}

fn query_trade(inner: &Inner, no: &str) -> Response {
    let books = inner.books();
    let Some(trade) = books.trades.get(no) else {
        return inner.error(404, "ORDER_NOT_EXIST", "订单不存在");
    };
    let mut body = json!({
        "appid": trade.appid,
        "mchid": inner.mchid,
        "out_trade_no": no,
        "trade_type": "NATIVE",
        "trade_state": trade.t.state,
        "trade_state_desc": trade_state_desc(&trade.t.state),
        "amount": { "total": trade.t.amount.0, "currency": "CNY" },
    });
    if let Some(id) = &trade.t.transaction_id {
        body["transaction_id"] = json!(id);
        body["amount"]["payer_total"] = json!(trade.t.amount.0);
        body["amount"]["payer_currency"] = json!("CNY");
        body["payer"] = json!({ "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" });
    }
    if let Some(t) = trade.success_time {
        body["success_time"] = json!(china_time(t));
    }
    inner.answer(200, Some(body))
}

fn close(inner: &Inner, no: &str) -> Response {
    let mut books = inner.books();
    let Some(trade) = books.trades.get_mut(no) else {
        return inner.error(404, "ORDER_NOT_EXIST", "订单不存在");
    };
    match trade.t.state.as_str() {
        "NOTPAY" | "CLOSED" => {
            trade.t.state = "CLOSED".to_owned();
            inner.answer(204, None)
        }
        _ => inner.error(400, "ORDERPAID", "订单已支付"),
    }
}

fn refund_body(trade: &FakeTrade, r: &FakeRefund) -> Value {
    json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.refund_no,
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": china_time(Timestamp::now()),
        "status": r.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": trade.amount.0,
            "refund": r.amount.0,
            "payer_total": trade.amount.0,
            "payer_refund": r.amount.0,
            "currency": "CNY",
        },
    })
}

fn refund(inner: &Inner, req: &Value) -> Response {
    let s = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (out_trade_no, refund_no, reason) = (s("out_trade_no"), s("out_refund_no"), s("reason"));
    let notify_url = Some(s("notify_url")).filter(|u| !u.is_empty());
    let (Some(amount), Some(total)) = (
        req["amount"]["refund"].as_i64().filter(|a| *a > 0),
        req["amount"]["total"].as_i64(),
    ) else {
        return inner.error(400, "PARAM_ERROR", "amount 错误");
    };
    if out_trade_no.is_empty() || refund_no.is_empty() {
        return inner.error(400, "PARAM_ERROR", "缺少参数");
    }
    let mut books = inner.books();
    let refund_id = books.next_id("50000");
    let known = books.refunds.get(&refund_no).cloned();
    let Some(trade) = books.trades.get_mut(&out_trade_no) else {
        return inner.error(404, "RESOURCE_NOT_EXISTS", "订单不存在");
    };
    // The same out_refund_no again is the same refund: nothing is paid twice.
    if let Some(of) = known {
        let same = trade.t.refunds.iter().find(|r| r.refund_no == refund_no);
        return match same {
            Some(r) if of == out_trade_no && r.amount == Fen(amount) => {
                inner.answer(200, Some(refund_body(&trade.t, r)))
            }
            _ => inner.error(
                400,
                "INVALID_REQUEST",
                "退款单号重复，且请求参数与之前不一致",
            ),
        };
    }
    if !matches!(trade.t.state.as_str(), "SUCCESS" | "REFUND") {
        return inner.error(400, "INVALID_REQUEST", "订单未支付");
    }
    if total != trade.t.amount.0 {
        return inner.error(400, "PARAM_ERROR", "订单金额与实际不符");
    }
    let refunded: i64 = trade
        .t
        .refunds
        .iter()
        .filter(|r| r.status != "CLOSED" && r.status != "ABNORMAL")
        .map(|r| r.amount.0)
        .sum();
    if refunded + amount > total {
        return inner.error(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额");
    }
    let r = FakeRefund {
        refund_no: refund_no.clone(),
        refund_id,
        amount: Fen(amount),
        status: "PROCESSING".to_owned(),
        reason,
        notify_url,
    };
    trade.t.state = "REFUND".to_owned();
    trade.t.refunds.push(r.clone());
    let body = refund_body(&trade.t, &r);
    books.refunds.insert(refund_no, out_trade_no);
    inner.answer(200, Some(body))
}

fn query_refund(inner: &Inner, refund_no: &str) -> Response {
    let books = inner.books();
    let found = books.refunds.get(refund_no).and_then(|no| {
        let trade = books.trades.get(no)?;
        let r = trade.t.refunds.iter().find(|r| r.refund_no == refund_no)?;
        Some(refund_body(&trade.t, r))
    });
    match found {
        Some(body) => inner.answer(200, Some(body)),
        None => inner.error(404, "RESOURCE_NOT_EXISTS", "退款单不存在"),
    }
}
