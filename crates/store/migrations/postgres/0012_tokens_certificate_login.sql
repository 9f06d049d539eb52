-- Personal API tokens (the USB-key tool signs in with one). Only the SHA-256 (hex) of a token
-- is kept; hint is its first characters, to tell tokens apart. Scopes are space-separated
-- names. A token ends by expiring or by being revoked; rows are never deleted.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    CONSTRAINT api_tokens_sha256_key UNIQUE (token_sha256)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- 绑定CA: the certificates an account holds, proven by a signature with the key. One key, one
-- person, one account: at most one binding in force per certificate. 解除绑定 sets unbound_at.
CREATE TABLE certificate_bindings (
    id TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    bound_at BIGINT NOT NULL,
    unbound_at BIGINT
);
CREATE UNIQUE INDEX certificate_bindings_one_account ON certificate_bindings (certificate_id)
    WHERE unbound_at IS NULL;
CREATE INDEX certificate_bindings_user ON certificate_bindings (user_id) WHERE unbound_at IS NULL;

-- A one-time challenge signed with a certificate's key: 证书登录 (login) or 绑定CA (bind).
-- code is what the person types into the tool; the party that asked holds a secret (only its
-- SHA-256 is kept) with which it completes the challenge once it is signed.
CREATE TABLE certificate_challenges (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'bind')),
    code TEXT NOT NULL,
    nonce TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    user_id TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    certificate_id TEXT REFERENCES certificates (id),
    signed_at BIGINT,
    used_at BIGINT,
    CONSTRAINT certificate_challenges_code_key UNIQUE (code)
);
