DROP TRIGGER partner_summary_logos ON partner_logos;
DROP TRIGGER partner_summary_apis ON partner_api_environments;
DROP TRIGGER partner_summary_products ON partner_products;
DROP TRIGGER partner_summary_domains ON partner_domains;
DROP TRIGGER partner_summary_created ON partners;
DROP FUNCTION partner_summary_created();
DROP FUNCTION partner_summary_changed();
DROP FUNCTION refresh_partner_summary(BIGINT);
DROP TABLE partner_summaries;
