-- A version per enterprise of everything an access token's introspection depends on (SPEC §18).
--
-- Introspection is answered from a cache in each portal process (routes::oauth::cache), keyed
-- by token and gateway credential and tagged with the version it was computed at; every call
-- reads the current version first (one primary-key lookup) and uses a cached answer only if
-- the version is unchanged. The triggers below bump the version in the same transaction as any
-- change that could alter an answer, whoever writes (the portal, a fixture, a script): so once
-- a revocation has committed, the very next introspection on any instance reads the new version
-- and looks again. Time (a token's or a rotated secret's end) is checked against each cached
-- answer's own expiry.
CREATE TABLE access_versions (
    enterprise_id BIGINT PRIMARY KEY REFERENCES enterprises (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL DEFAULT 0
);
INSERT INTO access_versions (enterprise_id) SELECT id FROM enterprises;

CREATE FUNCTION bump_access_version(eid BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO access_versions (enterprise_id, version) VALUES (eid, 1)
    ON CONFLICT (enterprise_id) DO UPDATE SET version = access_versions.version + 1
$$;

-- Tables with an enterprise_id of their own.
CREATE FUNCTION access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM bump_access_version(OLD.enterprise_id);
    ELSE
        PERFORM bump_access_version(NEW.enterprise_id);
    END IF;
    RETURN NULL;
END $$;

-- API grants: their partner's enterprise.
CREATE FUNCTION access_grant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_access_version(p.enterprise_id)
       FROM partners p
      WHERE p.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.partner_id ELSE NEW.partner_id END;
    RETURN NULL;
END $$;

-- A partner organisation (global): every enterprise it has a partnership with.
CREATE FUNCTION access_organisation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bump_access_version(e.enterprise_id)
       FROM (SELECT DISTINCT enterprise_id FROM partners WHERE organisation_id = NEW.id) e;
    RETURN NULL;
END $$;

CREATE TRIGGER access_version AFTER INSERT OR UPDATE OR DELETE ON partner_api_environments
    FOR EACH ROW EXECUTE FUNCTION access_grant_changed();
CREATE TRIGGER access_version AFTER UPDATE OF status, name, organisation_id OR DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF partner_code, name ON partner_organisations
    FOR EACH ROW EXECUTE FUNCTION access_organisation_changed();
CREATE TRIGGER access_version AFTER UPDATE OF name OR DELETE ON partner_applications
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF revoked_at, application_id, environment_id, client_id OR DELETE
    ON application_credentials FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF expires_at, secret_hash, credential_id OR DELETE ON client_secrets
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF name OR DELETE ON environments
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF name, base_path OR DELETE ON apis
    FOR EACH ROW EXECUTE FUNCTION access_changed();
CREATE TRIGGER access_version AFTER UPDATE OF revoked_at, secret_hash, client_id OR DELETE ON gateway_credentials
    FOR EACH ROW EXECUTE FUNCTION access_changed();
