-- Expiry reminders (30, 7 and 1 days before a certificate ends) and the API keys of linked
-- platforms (关联平台, 互联互通).

-- One row per certificate and threshold reminded of: the primary key lets exactly one
-- instance send each reminder, however many run the job at once.
CREATE TABLE certificate_reminders (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    days BIGINT NOT NULL CHECK (days IN (30, 7, 1)),
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (certificate_id, days)
);

-- "Superseded by a newer certificate" (one that replaces it) without a table scan.
CREATE INDEX certificates_replaces ON certificates (replaces) WHERE replaces IS NOT NULL;

-- A platform's API keys: only the SHA-256 (hex) of each key is kept; key_hint is the key's
-- first characters, for admins to tell keys apart. At most one key per platform is in force;
-- regenerating revokes the old one. Rows are never deleted.
CREATE TABLE platform_keys (
    id TEXT PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES linked_platforms (id),
    key_sha256 TEXT NOT NULL,
    key_hint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    revoked_at BIGINT,
    revoked_by TEXT REFERENCES users (id),
    CONSTRAINT platform_keys_sha256_key UNIQUE (key_sha256)
);
CREATE UNIQUE INDEX platform_keys_one_in_force ON platform_keys (platform_id) WHERE revoked_at IS NULL;
