-- The certificate authority: its own certificates, the certificates it issued, its CRLs.
-- DER is kept as BLOB; times are BIGINT microseconds (UTC) as everywhere else.

-- The CA's own certificates. One root and one issuing CA (for now: a unique index on the
-- role), several OCSP responder certificates over time (the newest valid one answers).
-- A key is kept either in the database, as an encrypted PKCS#8 PEM (key_storage 'file', so
-- several instances share it) or in a PKCS#11 token, named by its label ('pkcs11').
-- crl_number counts this CA's CRLs: the UPDATE that raises it also serialises CRL writers.
CREATE TABLE ca_authorities (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp')),
    issuer_id TEXT REFERENCES ca_authorities (id),
    algorithm TEXT NOT NULL,
    certificate BLOB NOT NULL,
    key_storage TEXT NOT NULL CHECK (key_storage IN ('file', 'pkcs11')),
    key_pem TEXT,
    key_label TEXT,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    crl_number BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CHECK ((key_storage = 'file' AND key_pem IS NOT NULL) OR (key_storage = 'pkcs11' AND key_label IS NOT NULL))
);
CREATE UNIQUE INDEX ca_authorities_one_ca ON ca_authorities (role) WHERE role IN ('root', 'issuing');
CREATE INDEX ca_authorities_role_newest ON ca_authorities (role, not_after);

-- Every certificate the CA issued, recorded before it is returned. Never deleted
-- (电子签名法 art. 24). 'expired' is not a status: it follows from not_after.
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    issuer_id TEXT NOT NULL REFERENCES ca_authorities (id),
    application_id TEXT REFERENCES applications (id),
    organisation_id TEXT REFERENCES organisations (id),
    holder_user_id TEXT REFERENCES users (id),
    cert_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    organisation_name TEXT,
    credit_code TEXT,
    spki_sha256 TEXT NOT NULL,
    token_serial TEXT,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    der BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    revoked_at BIGINT,
    revocation_reason TEXT,
    replaces TEXT REFERENCES certificates (id),
    created_at BIGINT NOT NULL,
    CHECK ((status = 'valid' AND revoked_at IS NULL) OR (status = 'revoked' AND revoked_at IS NOT NULL AND revocation_reason IS NOT NULL))
);
CREATE INDEX certificates_spki ON certificates (spki_sha256);
CREATE INDEX certificates_organisation_newest ON certificates (organisation_id, created_at);
CREATE INDEX certificates_holder_newest ON certificates (holder_user_id, created_at);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_revoked ON certificates (issuer_id, serial) WHERE status = 'revoked';

-- The CRLs each CA published, numbered upwards per CA.
CREATE TABLE crls (
    issuer_id TEXT NOT NULL REFERENCES ca_authorities (id),
    number BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    der BLOB NOT NULL,
    PRIMARY KEY (issuer_id, number)
);
