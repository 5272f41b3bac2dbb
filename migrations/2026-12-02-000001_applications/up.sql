-- Credentials that an API gateway enforces (SPEC §18).
--
-- A partnership's Applications, each with client credentials per environment; the secrets of a
-- credential (more than one while a rotation overlaps); the short-lived access tokens issued by
-- POST /oauth/token; and the enterprise's gateway credentials, which authenticate
-- POST /oauth/introspect and GET /gateway/check. Every table carries enterprise_id and every
-- query filters on it; client ids embed the enterprise id so even the token endpoint, which
-- knows nothing but the client id, can.
--
-- Secrets and tokens are stored as HMAC-SHA256 under the server's CREDENTIAL_HASH_KEY
-- (auth::credentials explains why not argon2).

CREATE TABLE partner_applications (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    partner_id    BIGINT NOT NULL REFERENCES partners (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX partner_applications_name_ci ON partner_applications (enterprise_id, partner_id, lower(name));

CREATE TABLE application_credentials (
    id             BIGSERIAL PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprises (id),
    application_id BIGINT NOT NULL REFERENCES partner_applications (id) ON DELETE CASCADE,
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL UNIQUE CHECK (char_length(client_id) BETWEEN 8 AND 80),
    created_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at     TIMESTAMPTZ,
    -- When a token was last issued for it.
    last_used_at   TIMESTAMPTZ
);
-- One live credential per application and environment; revoked ones stay for the record.
CREATE UNIQUE INDEX application_credentials_live
    ON application_credentials (application_id, environment_id) WHERE revoked_at IS NULL;
CREATE INDEX application_credentials_by_application ON application_credentials (enterprise_id, application_id);

CREATE TABLE client_secrets (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    credential_id BIGINT NOT NULL REFERENCES application_credentials (id) ON DELETE CASCADE,
    secret_hash   BYTEA NOT NULL CHECK (octet_length(secret_hash) = 32),
    -- The secret's last four characters, so people can tell which one they hold.
    hint          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set by Rotate secret (end of the overlap) and by Revoke; NULL: valid until then.
    expires_at    TIMESTAMPTZ
);
CREATE INDEX client_secrets_by_credential ON client_secrets (credential_id);

CREATE TABLE access_tokens (
    token_hash    BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    credential_id BIGINT NOT NULL REFERENCES application_credentials (id) ON DELETE CASCADE,
    -- The secret that obtained it: when that secret stops being valid, so does the token.
    secret_id     BIGINT NOT NULL REFERENCES client_secrets (id) ON DELETE CASCADE,
    -- The APIs granted in the credential's environment when it was issued (or the requested
    -- subset); introspection answers only those still granted.
    api_ids       BIGINT[] NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL
);
-- The per-client rate of issuance, and housekeeping.
CREATE INDEX access_tokens_by_credential ON access_tokens (credential_id, created_at);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE gateway_credentials (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    client_id     TEXT NOT NULL UNIQUE CHECK (char_length(client_id) BETWEEN 8 AND 80),
    secret_hash   BYTEA NOT NULL CHECK (octet_length(secret_hash) = 32),
    hint          TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX gateway_credentials_by_enterprise ON gateway_credentials (enterprise_id);

-- Failed client authentications at the token endpoint are throttled per client id, in the
-- same sliding-window table as failed logins.
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account', 'client', 'partner_lookup', 'oauth_client'));
