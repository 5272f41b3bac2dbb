-- One person, many organisations (SPEC §10, §11, §16).
--
-- `users` becomes the person (address, names, password), global to the installation. What a
-- person may do lives in `memberships`: Enterprise admin or Viewer of an enterprise, or Admin
-- or Member of one partnership. A company that works with several enterprises is one
-- `partner_organisations` row with a public Partner ID; each enterprise's `partners` row is
-- one partnership with it. People and organisations are the only global tables: every
-- membership carries its enterprise, so a tenant can later live on its own shard.

CREATE TABLE partner_organisations (
    id           BIGSERIAL PRIMARY KEY,
    -- Public and short; shown to the organisation's Admins, typed by Enterprise admins.
    partner_code TEXT NOT NULL UNIQUE CHECK (partner_code ~ '^PRT-[0-9A-Z]{6}$'),
    -- The secret part of the connection link; regenerating it kills the old link.
    connect_code TEXT NOT NULL UNIQUE CHECK (char_length(connect_code) BETWEEN 20 AND 100),
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every existing partner was registered by the wizard: each starts its own organisation.
ALTER TABLE partners ADD COLUMN organisation_id BIGINT REFERENCES partner_organisations (id);
DO $$
DECLARE
    p RECORD;
    oid BIGINT;
    code TEXT;
BEGIN
    FOR p IN SELECT id, name, created_at FROM partners ORDER BY id LOOP
        LOOP
            code := 'PRT-' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 6));
            EXIT WHEN NOT EXISTS (SELECT 1 FROM partner_organisations WHERE partner_code = code);
        END LOOP;
        INSERT INTO partner_organisations (partner_code, connect_code, name, created_at)
             VALUES (code, replace(gen_random_uuid()::text, '-', ''), p.name, p.created_at)
          RETURNING id INTO oid;
        UPDATE partners SET organisation_id = oid WHERE id = p.id;
    END LOOP;
END $$;
ALTER TABLE partners ALTER COLUMN organisation_id SET NOT NULL;
CREATE INDEX partners_organisation ON partners (organisation_id, status);

-- `requested`: an enterprise asked to connect by Partner ID (counts toward the limit);
-- `declined`: the organisation said no. Both `declined` and `deactivated` are final: a new
-- request makes a new partnership, without the old one's grants.
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check
    CHECK (status IN ('requested', 'invited', 'active', 'deactivated', 'declined'));
-- Who ended it: the enterprise (Deactivate partner) or the organisation (Leave enterprise).
ALTER TABLE partners ADD COLUMN ended_by TEXT CHECK (ended_by IN ('enterprise', 'organisation'));
ALTER TABLE partners ADD COLUMN requested_by BIGINT REFERENCES users (id);
DROP INDEX partners_name_ci;
CREATE UNIQUE INDEX partners_name_ci ON partners (enterprise_id, lower(name))
    WHERE status NOT IN ('deactivated', 'declined');
-- One live partnership per enterprise and organisation.
CREATE UNIQUE INDEX partners_one_live_per_organisation ON partners (enterprise_id, organisation_id)
    WHERE status NOT IN ('deactivated', 'declined');

CREATE TABLE memberships (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    partner_id    BIGINT REFERENCES partners (id),
    role          TEXT NOT NULL CHECK (role IN ('enterprise_admin', 'viewer', 'admin', 'member')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Removed, left, or set to "no access": kept for the history, gives no access.
    ended_at      TIMESTAMPTZ,
    CHECK ((role IN ('enterprise_admin', 'viewer')) = (partner_id IS NULL))
);
-- One membership per person and organisation (an ended one is brought back, not doubled).
CREATE UNIQUE INDEX memberships_one_per_organisation
    ON memberships (user_id, enterprise_id, COALESCE(partner_id, 0));
CREATE INDEX memberships_user ON memberships (user_id) WHERE ended_at IS NULL;
CREATE INDEX memberships_partner ON memberships (partner_id, role) WHERE ended_at IS NULL;
CREATE INDEX memberships_enterprise_team ON memberships (enterprise_id, role)
    WHERE partner_id IS NULL AND ended_at IS NULL;

-- Every user had exactly one organisation; a disabled user (removed, or of a deactivated
-- partner) keeps the membership as ended.
INSERT INTO memberships (user_id, enterprise_id, partner_id, role, created_at, ended_at)
     SELECT id, enterprise_id, partner_id, role, created_at, disabled_at FROM users ORDER BY id;

-- The session remembers which membership it acts in.
ALTER TABLE sessions ADD COLUMN membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL;
UPDATE sessions s SET membership_id = m.id FROM memberships m WHERE m.user_id = s.user_id;
CREATE INDEX sessions_membership ON sessions (membership_id);

-- Team invitations (Enterprise admin, Viewer) have no partner.
ALTER TABLE invitations ALTER COLUMN partner_id DROP NOT NULL;
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check
    CHECK (role IN ('admin', 'member', 'enterprise_admin', 'viewer'));
ALTER TABLE invitations ADD CONSTRAINT invitations_team_has_no_partner
    CHECK ((role IN ('enterprise_admin', 'viewer')) = (partner_id IS NULL));
CREATE UNIQUE INDEX invitations_one_pending_team_invite
    ON invitations (enterprise_id, email) WHERE status = 'pending' AND partner_id IS NULL;

-- Which membership acted, as it read then ("Admin of Acme", "Viewer of Globex").
ALTER TABLE audit_events ADD COLUMN actor_membership TEXT NOT NULL DEFAULT '';

-- The person keeps only what is theirs.
ALTER TABLE users DROP CONSTRAINT users_check;
DROP INDEX users_partner;
ALTER TABLE users DROP COLUMN enterprise_id, DROP COLUMN partner_id, DROP COLUMN role, DROP COLUMN disabled_at;
