-- Foundation: tenants, people, sessions, login throttling, audit trail, password links.

CREATE TABLE enterprises (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    partner_limit INTEGER NOT NULL DEFAULT 10 CHECK (partner_limit >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX enterprises_name_ci ON enterprises (lower(name));

-- Partners are defined here because users and sessions refer to them; the
-- partner screens arrive with the next migration's tables.
CREATE TABLE partners (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
    status        TEXT NOT NULL DEFAULT 'invited'
                  CHECK (status IN ('invited', 'active', 'deactivated')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    deactivated_at TIMESTAMPTZ,
    CHECK ((status = 'deactivated') = (deactivated_at IS NOT NULL))
);
CREATE INDEX partners_enterprise ON partners (enterprise_id, status);
-- Unique name per enterprise ignoring case, among partners that still count.
CREATE UNIQUE INDEX partners_name_ci ON partners (enterprise_id, lower(name))
    WHERE status <> 'deactivated';

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    partner_id    BIGINT REFERENCES partners (id),
    role          TEXT NOT NULL CHECK (role IN ('enterprise_admin', 'admin', 'member')),
    -- Stored lower-cased: one address is one account in the whole installation.
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND char_length(email) <= 254),
    first_name    TEXT NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 100),
    surname       TEXT NOT NULL CHECK (char_length(surname) BETWEEN 1 AND 100),
    password_hash TEXT,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((role = 'enterprise_admin') = (partner_id IS NULL))
);
CREATE INDEX users_partner ON users (partner_id);

-- Server-side session store for actix-session. Only a hash of the cookie's
-- session key is stored, so a database leak does not hand out sessions.
CREATE TABLE sessions (
    key_hash            BYTEA PRIMARY KEY,
    user_id             BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state               JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at          TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins, counted per account and per client address in a sliding window.
CREATE TABLE login_failures (
    id        BIGSERIAL PRIMARY KEY,
    scope     TEXT NOT NULL CHECK (scope IN ('account', 'client')),
    subject   TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_lookup ON login_failures (scope, subject, failed_at);

-- Single-use links that let a person set a password (first login, forgotten password).
CREATE TABLE password_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('set', 'reset')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_tokens_user ON password_tokens (user_id);

CREATE TABLE audit_events (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    partner_id    BIGINT REFERENCES partners (id),
    actor_user_id BIGINT REFERENCES users (id),
    actor_label   TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_enterprise ON audit_events (enterprise_id, created_at DESC, id DESC);
CREATE INDEX audit_events_partner ON audit_events (partner_id, created_at DESC, id DESC);
