-- API tokens (SPEC §14): named, scoped, expiring bearer tokens an Enterprise admin creates for
-- the REST API. Only the token's SHA-256 is kept (with its last four characters, to tell tokens
-- apart); the token itself is shown once.
CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scopes        TEXT[] NOT NULL CHECK (cardinality(scopes) > 0),
    token_hash    BYTEA NOT NULL UNIQUE,
    hint          TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_enterprise ON api_tokens (enterprise_id, created_at DESC);
