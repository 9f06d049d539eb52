//! Fake gateways for tests: local HTTP servers that speak the providers' published
//! protocols with keys generated in the test, so the real clients are exercised
//! end to end (request signatures checked, notifications signed and encrypted).

pub mod alipay;
pub mod wechat;
