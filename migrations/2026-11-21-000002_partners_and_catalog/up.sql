-- Partners' domains, logos, wizard drafts and invitations; the enterprise catalog and the
-- grants of products and APIs (per environment) to partners.

ALTER TABLE partners
    ADD COLUMN created_by BIGINT REFERENCES users (id),
    ADD COLUMN account_admin_user_id BIGINT REFERENCES users (id);

CREATE TABLE partner_domains (
    id            BIGSERIAL PRIMARY KEY,
    partner_id    BIGINT NOT NULL REFERENCES partners (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    domain        TEXT NOT NULL CHECK (domain = lower(domain) AND char_length(domain) BETWEEN 3 AND 253),
    -- False once the partner is deactivated: the domain may then be registered again.
    active        BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (partner_id, domain)
);
CREATE UNIQUE INDEX partner_domains_active_per_enterprise
    ON partner_domains (enterprise_id, domain) WHERE active;

CREATE TABLE partner_logos (
    partner_id   BIGINT PRIMARY KEY REFERENCES partners (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    bytes        BYTEA NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 1048576),
    width        INTEGER NOT NULL CHECK (width > 0),
    height       INTEGER NOT NULL CHECK (height > 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The register wizard's work in progress, kept server-side so refresh and back lose nothing.
CREATE TABLE partner_drafts (
    id                   BIGSERIAL PRIMARY KEY,
    enterprise_id        BIGINT NOT NULL REFERENCES enterprises (id),
    created_by           BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL DEFAULT '',
    domains              TEXT[] NOT NULL DEFAULT '{}',
    admin_first_name     TEXT NOT NULL DEFAULT '',
    admin_surname        TEXT NOT NULL DEFAULT '',
    admin_email          TEXT NOT NULL DEFAULT '',
    logo_bytes           BYTEA CHECK (octet_length(logo_bytes) <= 1048576),
    logo_content_type    TEXT,
    logo_width           INTEGER,
    logo_height          INTEGER,
    -- Set by Add Partner: a second submission of the same draft finds the partner made.
    submitted_partner_id BIGINT REFERENCES partners (id),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX partner_drafts_owner ON partner_drafts (enterprise_id, created_by, updated_at DESC);

CREATE TABLE invitations (
    id                  BIGSERIAL PRIMARY KEY,
    enterprise_id       BIGINT NOT NULL REFERENCES enterprises (id),
    partner_id          BIGINT NOT NULL REFERENCES partners (id),
    email               TEXT NOT NULL CHECK (email = lower(email)),
    first_name          TEXT NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 100),
    surname             TEXT NOT NULL CHECK (char_length(surname) BETWEEN 1 AND 100),
    role                TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    -- An administrator invitation makes the person the partner's account administrator.
    for_account_admin   BOOLEAN NOT NULL DEFAULT false,
    token_hash          BYTEA NOT NULL UNIQUE,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at          TIMESTAMPTZ NOT NULL,
    accepted_at         TIMESTAMPTZ,
    revoked_at          TIMESTAMPTZ,
    accepted_user_id    BIGINT REFERENCES users (id),
    CHECK (NOT for_account_admin OR role = 'admin')
);
CREATE INDEX invitations_partner ON invitations (partner_id, created_at DESC);
CREATE UNIQUE INDEX invitations_one_pending_per_email
    ON invitations (partner_id, email) WHERE status = 'pending';

-- The catalog.
CREATE TABLE environments (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX environments_name_ci ON environments (enterprise_id, lower(name));

CREATE TABLE products (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description   TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    archived_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX products_name_ci ON products (enterprise_id, lower(name));

CREATE TABLE apis (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description   TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    base_path     TEXT NOT NULL DEFAULT '' CHECK (char_length(base_path) <= 200),
    archived_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX apis_name_ci ON apis (enterprise_id, lower(name));

-- The environments an API is offered in.
CREATE TABLE api_environments (
    api_id         BIGINT NOT NULL REFERENCES apis (id),
    environment_id BIGINT NOT NULL REFERENCES environments (id),
    PRIMARY KEY (api_id, environment_id)
);

CREATE TABLE partner_products (
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    granted_by BIGINT REFERENCES users (id),
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, product_id)
);

CREATE TABLE partner_api_environments (
    partner_id     BIGINT NOT NULL REFERENCES partners (id),
    api_id         BIGINT NOT NULL,
    environment_id BIGINT NOT NULL,
    granted_by     BIGINT REFERENCES users (id),
    granted_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, api_id, environment_id),
    FOREIGN KEY (api_id, environment_id) REFERENCES api_environments (api_id, environment_id)
);
CREATE INDEX partner_api_environments_api ON partner_api_environments (api_id);
