ALTER TABLE users ADD COLUMN enterprise_id BIGINT REFERENCES enterprises (id),
                  ADD COLUMN partner_id BIGINT REFERENCES partners (id),
                  ADD COLUMN role TEXT,
                  ADD COLUMN disabled_at TIMESTAMPTZ;
-- A person with several memberships keeps the oldest one.
UPDATE users u SET enterprise_id = m.enterprise_id, partner_id = m.partner_id,
       role = CASE m.role WHEN 'viewer' THEN 'enterprise_admin' ELSE m.role END, disabled_at = m.ended_at
  FROM (SELECT DISTINCT ON (user_id) * FROM memberships ORDER BY user_id, id) m
 WHERE m.user_id = u.id;
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE enterprise_id IS NULL);
DELETE FROM users WHERE enterprise_id IS NULL;
ALTER TABLE users ALTER COLUMN enterprise_id SET NOT NULL, ALTER COLUMN role SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('enterprise_admin', 'admin', 'member'));
ALTER TABLE users ADD CONSTRAINT users_check CHECK ((role = 'enterprise_admin') = (partner_id IS NULL));
CREATE INDEX users_partner ON users (partner_id);

ALTER TABLE audit_events DROP COLUMN actor_membership;
DELETE FROM invitations WHERE partner_id IS NULL;
DROP INDEX invitations_one_pending_team_invite;
ALTER TABLE invitations DROP CONSTRAINT invitations_team_has_no_partner;
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('admin', 'member'));
ALTER TABLE invitations ALTER COLUMN partner_id SET NOT NULL;

ALTER TABLE sessions DROP COLUMN membership_id;
DROP TABLE memberships;

DROP INDEX partners_one_live_per_organisation;
DROP INDEX partners_name_ci;
UPDATE partners SET status = 'deactivated', deactivated_at = COALESCE(deactivated_at, now())
 WHERE status IN ('requested', 'declined');
CREATE UNIQUE INDEX partners_name_ci ON partners (enterprise_id, lower(name)) WHERE status <> 'deactivated';
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check CHECK (status IN ('invited', 'active', 'deactivated'));
ALTER TABLE partners DROP COLUMN requested_by, DROP COLUMN ended_by, DROP COLUMN organisation_id;
DROP TABLE partner_organisations;
