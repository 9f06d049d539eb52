-- Accounts, organisations, sessions and the audit log.
-- Times are BIGINT microseconds since the Unix epoch, UTC. Ids are UUID v7 text.
-- Nothing here is hard-deleted by the application: memberships end with removed_at.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    mobile TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'reviewer', 'operator', 'finance', 'admin')),
    must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_mobile_key UNIQUE (mobile)
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    org_type TEXT NOT NULL CHECK (org_type IN ('purchaser', 'supplier', 'agency')),
    credit_code TEXT NOT NULL,
    has_uscc BIGINT NOT NULL CHECK (has_uscc IN (0, 1)),
    registration_authority TEXT NOT NULL,
    region TEXT NOT NULL,
    address TEXT NOT NULL,
    legal_representative TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT organisations_credit_code_key UNIQUE (credit_code)
);

CREATE TABLE memberships (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    added_by TEXT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    removed_by TEXT REFERENCES users (id),
    removed_at BIGINT,
    CONSTRAINT memberships_removal_check CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
-- One organisation per person at a time.
CREATE UNIQUE INDEX memberships_active_user ON memberships (user_id) WHERE removed_at IS NULL;
CREATE INDEX memberships_organisation ON memberships (organisation_id);

-- 个人: a person who applies without an organisation.
CREATE TABLE individuals (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    id_number TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT individuals_id_number_key UNIQUE (id_number)
);

-- Only a SHA-256 of the session token is stored, so a leaked table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE sign_in_failures (
    login TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_login ON sign_in_failures (login, failed_at);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
