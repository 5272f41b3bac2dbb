-- What a partner's Service Catalog shows: its granted products, and its granted APIs with the
-- environments granted, in display order. Joining the two grant tables to products, APIs and
-- environments on every view cost PostgreSQL 84 µs a statement on the benchmark's data (five
-- relations, three hash joins, a sort); reading this one row costs 5 µs (both measured in a
-- PL/pgSQL loop over the statement). The triggers below rebuild a partner's row whenever its
-- grants change, or the name, description, base path, archiving or order of something it was
-- granted changes, whoever writes (the portal, a fixture, a script).
CREATE TABLE partner_catalogs (
    partner_id    BIGINT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    -- [{is_product, id, name, description, base_path, retiring, environment}, ...]: products by
    -- name, then one entry per (API, environment), an API's entries consecutive.
    entries       JSON NOT NULL DEFAULT '[]'
);

-- For the triggers on products and environments (APIs have partner_api_environments_api).
CREATE INDEX partner_products_product ON partner_products (product_id);
CREATE INDEX partner_api_environments_environment ON partner_api_environments (environment_id);

CREATE FUNCTION refresh_partner_catalog(pid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_catalogs (partner_id, enterprise_id)
        SELECT id, enterprise_id FROM partners WHERE id = pid
        ON CONFLICT (partner_id) DO NOTHING;
    -- As in refresh_partner_summary: wait for a concurrent rebuild, then read afresh.
    PERFORM 1 FROM partner_catalogs WHERE partner_id = pid FOR UPDATE;
    UPDATE partner_catalogs c SET entries = COALESCE((
        SELECT json_agg(json_build_object(
                   'is_product', r.is_product, 'id', r.id, 'name', r.name, 'description', r.description,
                   'base_path', r.base_path, 'retiring', r.retiring, 'environment', r.environment)
                 ORDER BY r.is_product DESC, lower(r.name), r.id, r.position, lower(r.environment), r.environment_id)
          FROM (
                SELECT true AS is_product, p.id, p.name, p.description, '' AS base_path,
                       p.archived_at IS NOT NULL AS retiring, '' AS environment,
                       0 AS position, 0::bigint AS environment_id
                  FROM partner_products g
                  JOIN products p ON p.id = g.product_id
                 WHERE g.partner_id = pid AND p.enterprise_id = c.enterprise_id
                UNION ALL
                SELECT false, a.id, a.name, a.description, a.base_path, a.archived_at IS NOT NULL,
                       e.name, e.position, e.id
                  FROM partner_api_environments g
                  JOIN apis a ON a.id = g.api_id
                  JOIN environments e ON e.id = g.environment_id
                 WHERE g.partner_id = pid AND a.enterprise_id = c.enterprise_id
                   AND e.enterprise_id = c.enterprise_id
          ) r), '[]')
     WHERE c.partner_id = pid;
END $$;

-- A grant given, taken back or moved.
CREATE FUNCTION partner_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM refresh_partner_catalog(NEW.partner_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.partner_id <> NEW.partner_id) THEN
        PERFORM refresh_partner_catalog(OLD.partner_id);
    END IF;
    RETURN NULL;
END $$;

-- Something granted was renamed, described, archived or reordered: every partner it is
-- granted to, in partner order (two such changes never wait for each other crosswise).
CREATE FUNCTION partner_catalog_item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'products' THEN
        PERFORM refresh_partner_catalog(partner_id)
           FROM (SELECT DISTINCT partner_id FROM partner_products WHERE product_id = NEW.id ORDER BY 1) g;
    ELSIF TG_TABLE_NAME = 'apis' THEN
        PERFORM refresh_partner_catalog(partner_id)
           FROM (SELECT DISTINCT partner_id FROM partner_api_environments WHERE api_id = NEW.id ORDER BY 1) g;
    ELSE
        PERFORM refresh_partner_catalog(partner_id)
           FROM (SELECT DISTINCT partner_id FROM partner_api_environments WHERE environment_id = NEW.id ORDER BY 1) g;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER partner_catalog_products AFTER INSERT OR UPDATE OF partner_id, product_id OR DELETE ON partner_products
    FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
CREATE TRIGGER partner_catalog_apis AFTER INSERT OR UPDATE OF partner_id, api_id, environment_id OR DELETE ON partner_api_environments
    FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
CREATE TRIGGER partner_catalog_product AFTER UPDATE OF name, description, archived_at ON products
    FOR EACH ROW WHEN ((OLD.name, OLD.description, OLD.archived_at) IS DISTINCT FROM (NEW.name, NEW.description, NEW.archived_at))
    EXECUTE FUNCTION partner_catalog_item_changed();
CREATE TRIGGER partner_catalog_api AFTER UPDATE OF name, description, base_path, archived_at ON apis
    FOR EACH ROW WHEN ((OLD.name, OLD.description, OLD.base_path, OLD.archived_at)
                       IS DISTINCT FROM (NEW.name, NEW.description, NEW.base_path, NEW.archived_at))
    EXECUTE FUNCTION partner_catalog_item_changed();
CREATE TRIGGER partner_catalog_environment AFTER UPDATE OF name, position ON environments
    FOR EACH ROW WHEN ((OLD.name, OLD.position) IS DISTINCT FROM (NEW.name, NEW.position))
    EXECUTE FUNCTION partner_catalog_item_changed();

SELECT refresh_partner_catalog(id) FROM partners;
