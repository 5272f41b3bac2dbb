-- Approval for protected environments (SPEC §15): an environment marked *Requires approval*
-- holds a new API grant there until a second Enterprise admin (not the one who asked)
-- approves it. A held grant lives here, not in partner_api_environments, so it gives no
-- access anywhere until it is approved (moved there) or declined (deleted).
ALTER TABLE environments ADD COLUMN requires_approval BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE pending_api_grants (
    id             BIGSERIAL PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    partner_id     BIGINT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    api_id         BIGINT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- The end the grant will have once approved, as chosen when it was asked for.
    expires_on     DATE,
    expires_at     TIMESTAMPTZ,
    requested_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    requested_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (partner_id, api_id, environment_id),
    CHECK ((expires_on IS NULL) = (expires_at IS NULL))
);
CREATE INDEX pending_api_grants_queue ON pending_api_grants (enterprise_id, requested_at);

-- The Service Catalog shows a held grant as pending: its row gains `pending`.
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
                   'expires_on', r.expires_on, 'pending', r.pending)
                 ORDER BY r.is_product DESC, lower(r.name), r.id, r.position, lower(r.environment), r.environment_id)
          FROM (
                SELECT true AS is_product, p.id, p.name, p.description, '' AS base_path,
                       p.archived_at IS NOT NULL AS retiring, '' AS environment,
                       0 AS position, 0::bigint AS environment_id, g.expires_on, false AS pending
                  FROM partner_products g
                  JOIN products p ON p.id = g.product_id
                 WHERE g.partner_id = pid AND p.enterprise_id = c.enterprise_id
                UNION ALL
                SELECT false, a.id, a.name, a.description, a.base_path, a.archived_at IS NOT NULL,
                       e.name, e.position, e.id, g.expires_on, false
                  FROM partner_api_environments g
                  JOIN apis a ON a.id = g.api_id
                  JOIN environments e ON e.id = g.environment_id
                 WHERE g.partner_id = pid AND a.enterprise_id = c.enterprise_id
                   AND e.enterprise_id = c.enterprise_id
                UNION ALL
                SELECT false, a.id, a.name, a.description, a.base_path, a.archived_at IS NOT NULL,
                       e.name, e.position, e.id, h.expires_on, true
                  FROM pending_api_grants h
                  JOIN apis a ON a.id = h.api_id
                  JOIN environments e ON e.id = h.environment_id
                 WHERE h.partner_id = pid AND h.enterprise_id = c.enterprise_id
                   AND a.enterprise_id = c.enterprise_id AND e.enterprise_id = c.enterprise_id
          ) r), '[]')
     WHERE c.partner_id = pid;
END $$;

CREATE TRIGGER partner_catalog_pending AFTER INSERT OR UPDATE OR DELETE ON pending_api_grants
    FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
