DROP TRIGGER partner_default_group ON partners;
DROP FUNCTION partner_default_group();
ALTER TABLE partners DROP COLUMN group_id;
DROP TRIGGER enterprise_default_group ON enterprises;
DROP FUNCTION enterprise_default_group();
DROP TABLE group_api_environments;
DROP TABLE group_products;
DROP TABLE partner_groups;
