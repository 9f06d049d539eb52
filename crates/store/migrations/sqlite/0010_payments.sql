-- Real payment providers (WeChat Pay, Alipay): codes that expire, refunds tracked to their
-- end, notifications that did not add up flagged for finance, and leases for jobs that
-- one instance at a time runs (reconciliation).

-- After this a code can no longer be paid at the provider; NULL for codes opened before.
ALTER TABLE payments ADD COLUMN expires_at BIGINT;
-- The finance pages list payments by day.
CREATE INDEX payments_created ON payments (created_at);
-- The daily statement lists what was received that day.
CREATE INDEX payments_paid ON payments (paid_at) WHERE paid_at IS NOT NULL;
-- Reconciliation walks the open codes.
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';

-- One row per refund asked of a provider. refund_no is ours (WeChat out_refund_no, Alipay
-- out_request_no): asking again with it never pays twice.
CREATE TABLE payment_refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    refund_no TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'processing', 'succeeded', 'closed', 'abnormal', 'failed')),
    provider_refund_id TEXT,
    -- Why the last request failed (for finance; no personal data).
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT payment_refunds_refund_no_key UNIQUE (refund_no)
);
CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id);
CREATE INDEX payment_refunds_created ON payment_refunds (created_at);
CREATE INDEX payment_refunds_open ON payment_refunds (updated_at) WHERE status IN ('requested', 'processing');

-- A verified notification that did not match its order (amount, merchant) or named no
-- trade of ours: refused, and kept here for finance to look into.
CREATE TABLE payment_alerts (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    out_trade_no TEXT NOT NULL,
    payment_id TEXT REFERENCES payments (id),
    kind TEXT NOT NULL CHECK (kind IN ('amount_mismatch', 'merchant_mismatch', 'unknown_trade', 'second_payment')),
    expected_amount BIGINT,
    notified_amount BIGINT,
    merchant TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT REFERENCES users (id),
    note TEXT
);
CREATE INDEX payment_alerts_created ON payment_alerts (created_at);
-- The same notification sent again is one alert.
CREATE UNIQUE INDEX payment_alerts_once ON payment_alerts (provider, out_trade_no, transaction_id, kind);

-- A job that one instance at a time runs takes its lease here.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
