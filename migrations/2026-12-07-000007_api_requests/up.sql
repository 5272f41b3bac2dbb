-- The REST API's POSTs with an Idempotency-Key (SPEC §14): the key, per token, with a
-- fingerprint of the request and the answer it got, kept for 24 hours. A row is written in the
-- transaction of the change it answers, so it exists only if the change committed; a retry
-- (or a concurrent twin, which waits on the key's unique index) gets the stored answer.
CREATE TABLE api_idempotency_keys (
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    token_id        BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    fingerprint     BYTEA NOT NULL,
    status          SMALLINT NOT NULL, -- 0 until the change's answer is stored (never committed so)
    body            TEXT NOT NULL,
    location        TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, idempotency_key)
);
CREATE INDEX api_idempotency_keys_age ON api_idempotency_keys (created_at);

-- Per-token rate limits, shared by every instance: the requests counted in the token's current
-- one-minute window. Instances take the window's allowance in small batches (src/routes/api/
-- rate_limit.rs), so a busy token writes here about once per batch, not once per request.
CREATE TABLE api_rate_windows (
    token_id      BIGINT PRIMARY KEY REFERENCES api_tokens (id) ON DELETE CASCADE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    window_start  TIMESTAMPTZ NOT NULL,
    used          INTEGER NOT NULL
);
