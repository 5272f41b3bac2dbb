-- Expiring grants (SPEC §15). A product grant or an API-in-environment grant may have an
-- *Expires on* day: the access lasts through that day in the enterprise's time zone, so
-- `expires_at` is the start of the next day there (worked out when the date is set).
--
-- The schedule lives on the grant row itself: `reminded_days` is the last reminder queued
-- (14, 3, then 1 days before), `next_action_at` when the next reminder, or the expiry, is due.
-- The expiry worker claims due rows with FOR UPDATE SKIP LOCKED and does each one's whole
-- work (queue the reminder emails in the email outbox, or delete the grant and record it) in
-- the same short transaction that moves `next_action_at` on: with any number of instances,
-- each reminder is queued once and each grant revoked once. A deactivated partner's grants are
-- kept as its record: their schedule stops (`next_action_at` NULL).
ALTER TABLE partner_products
    ADD COLUMN expires_on     DATE,
    ADD COLUMN expires_at     TIMESTAMPTZ,
    ADD COLUMN reminded_days  SMALLINT CHECK (reminded_days IN (14, 3, 1)),
    ADD COLUMN next_action_at TIMESTAMPTZ,
    ADD CONSTRAINT partner_products_expiry_whole
        CHECK ((expires_on IS NULL) = (expires_at IS NULL) AND (next_action_at IS NULL OR expires_at IS NOT NULL));
CREATE INDEX partner_products_next_action ON partner_products (next_action_at) WHERE next_action_at IS NOT NULL;

ALTER TABLE partner_api_environments
    ADD COLUMN expires_on     DATE,
    ADD COLUMN expires_at     TIMESTAMPTZ,
    ADD COLUMN reminded_days  SMALLINT CHECK (reminded_days IN (14, 3, 1)),
    ADD COLUMN next_action_at TIMESTAMPTZ,
    ADD CONSTRAINT partner_api_environments_expiry_whole
        CHECK ((expires_on IS NULL) = (expires_at IS NULL) AND (next_action_at IS NULL OR expires_at IS NOT NULL));
CREATE INDEX partner_api_environments_next_action ON partner_api_environments (next_action_at)
    WHERE next_action_at IS NOT NULL;

-- The Service Catalog's row gains each grant's `expires_on` ("until 31 Jan 2027").
CREATE OR REPLACE FUNCTION refresh_partner_catalog(pid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_catalogs (partner_id, enterprise_id)
        SELECT id, enterprise_id FROM partners WHERE id = pid
        ON CONFLICT (partner_id) DO NOTHING;
    -- As in refresh_partner_summary: wait for a concurrent rebuild, then read afresh.
    PERFORM 1 FROM partner_catalogs WHERE partner_id = pid FOR UPDATE;
    UPDATE partner_catalogs c SET entries = COALESCE((
        SELECT json_agg(json_build_object(
                   'is_product', r.is_product, 'id', r.id, 'name', r.name, 'description', r.description,
                   'base_path', r.base_path, 'retiring', r.retiring, 'environment', r.environment,
                   'expires_on', r.expires_on)
                 ORDER BY r.is_product DESC, lower(r.name), r.id, r.position, lower(r.environment), r.environment_id)
          FROM (
                SELECT true AS is_product, p.id, p.name, p.description, '' AS base_path,
                       p.archived_at IS NOT NULL AS retiring, '' AS environment,
                       0 AS position, 0::bigint AS environment_id, g.expires_on
                  FROM partner_products g
                  JOIN products p ON p.id = g.product_id
                 WHERE g.partner_id = pid AND p.enterprise_id = c.enterprise_id
                UNION ALL
                SELECT false, a.id, a.name, a.description, a.base_path, a.archived_at IS NOT NULL,
                       e.name, e.position, e.id, g.expires_on
                  FROM partner_api_environments g
                  JOIN apis a ON a.id = g.api_id
                  JOIN environments e ON e.id = g.environment_id
                 WHERE g.partner_id = pid AND a.enterprise_id = c.enterprise_id
                   AND e.enterprise_id = c.enterprise_id
          ) r), '[]')
     WHERE c.partner_id = pid;
END $$;

DROP TRIGGER partner_catalog_products ON partner_products;
CREATE TRIGGER partner_catalog_products AFTER INSERT OR UPDATE OF partner_id, product_id, expires_on OR DELETE
    ON partner_products FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
DROP TRIGGER partner_catalog_apis ON partner_api_environments;
CREATE TRIGGER partner_catalog_apis AFTER INSERT OR UPDATE OF partner_id, api_id, environment_id, expires_on OR DELETE
    ON partner_api_environments FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();

-- Moving a grant's expiry or recording a reminder changes nobody's access now: only a grant
-- given, taken back or moved bumps the enterprise's access version (token introspection).
DROP TRIGGER access_version ON partner_api_environments;
CREATE TRIGGER access_version AFTER INSERT OR UPDATE OF partner_id, api_id, environment_id OR DELETE
    ON partner_api_environments FOR EACH ROW EXECUTE FUNCTION access_grant_changed();
