//! WeChat Pay API v3, Native (QR code) payments.
