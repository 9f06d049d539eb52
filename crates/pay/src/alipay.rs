//! Alipay 当面付 (alipay.trade.precreate and friends).
