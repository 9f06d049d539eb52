//! A fake WeChat Pay API v3 gateway (built in the WeChat Pay issue work).
