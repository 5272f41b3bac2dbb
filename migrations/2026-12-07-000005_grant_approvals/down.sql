DROP TABLE pending_api_grants;
ALTER TABLE environments DROP COLUMN requires_approval;
-- refresh_partner_catalog keeps reading pending_api_grants until migration 000003's version
-- is restored: recreate it from that migration when going further down.
