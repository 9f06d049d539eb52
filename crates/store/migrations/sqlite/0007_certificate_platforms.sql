-- 证书管理: the 关联平台 a certificate is registered on (新增平台), and the indexes the
-- staff's certificate search walks.

-- One row per link. Unlinking sets unlinked_at (and who did it); nothing is deleted, so
-- the history of where a certificate was registered stays. A certificate is linked to a
-- platform at most once at a time: a second live link is refused by the partial index.
CREATE TABLE certificate_platforms (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    platform_id TEXT NOT NULL REFERENCES linked_platforms (id),
    linked_at BIGINT NOT NULL,
    linked_by TEXT REFERENCES users (id),
    unlinked_at BIGINT,
    unlinked_by TEXT REFERENCES users (id),
    PRIMARY KEY (certificate_id, platform_id, linked_at)
);
CREATE UNIQUE INDEX certificate_platforms_live ON certificate_platforms (certificate_id, platform_id)
    WHERE unlinked_at IS NULL;

-- Staff search (/admin/certificates): newest first over everything, by 统一社会信用代码,
-- and by the start of a holder's or organisation's name (LIKE 'q%' can walk these).
-- Serials use the unique index on certificates.serial; organisations found by name or
-- USCC use certificates_organisation_newest.
CREATE INDEX certificates_created ON certificates (created_at, id);
CREATE INDEX certificates_credit_code ON certificates (credit_code, created_at);
CREATE INDEX certificates_holder_name ON certificates (holder_name COLLATE NOCASE, created_at);
CREATE INDEX certificates_organisation_name ON certificates (organisation_name COLLATE NOCASE, created_at);
