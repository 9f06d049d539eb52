-- Production (制证) and delivery: certificates found by the order they were produced for,
-- and how a produced key reaches its applicant.

CREATE INDEX certificates_application ON certificates (application_id, created_at);

-- One row per order that is delivered (邮寄 or 网点领取), written when production ends.
-- Mail: the carrier and tracking number once the parcel left (已发货).
-- Pickup: a 领取码 the applicant shows at the service point; the operator types it to hand
-- the key over (已领取). Never deleted.
CREATE TABLE deliveries (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    method TEXT NOT NULL CHECK (method IN ('mail', 'pickup')),
    pickup_code TEXT,
    carrier TEXT,
    tracking_number TEXT,
    shipped_at BIGINT,
    shipped_by TEXT REFERENCES users (id),
    delivered_at BIGINT,
    delivered_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    CHECK (method = 'mail' OR pickup_code IS NOT NULL)
);
