//! A fake Alipay open-platform gateway (built in the Alipay issue work).
