DROP TRIGGER access_version ON partner_api_environments;
CREATE TRIGGER access_version AFTER INSERT OR UPDATE OR DELETE ON partner_api_environments
    FOR EACH ROW EXECUTE FUNCTION access_grant_changed();
DROP TRIGGER partner_catalog_products ON partner_products;
CREATE TRIGGER partner_catalog_products AFTER INSERT OR UPDATE OF partner_id, product_id OR DELETE ON partner_products
    FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
DROP TRIGGER partner_catalog_apis ON partner_api_environments;
CREATE TRIGGER partner_catalog_apis AFTER INSERT OR UPDATE OF partner_id, api_id, environment_id OR DELETE ON partner_api_environments
    FOR EACH ROW EXECUTE FUNCTION partner_catalog_changed();
ALTER TABLE partner_products DROP COLUMN expires_on, DROP COLUMN expires_at, DROP COLUMN reminded_days,
    DROP COLUMN next_action_at;
ALTER TABLE partner_api_environments DROP COLUMN expires_on, DROP COLUMN expires_at, DROP COLUMN reminded_days,
    DROP COLUMN next_action_at;
-- refresh_partner_catalog keeps reading expires_on until migration 000007's version is restored:
-- recreate it from that migration when going further down.
