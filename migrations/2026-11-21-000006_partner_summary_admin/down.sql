DROP TRIGGER partner_summary_admin_uninvited ON invitations;
DROP TRIGGER partner_summary_admin_invitation ON invitations;
DROP TRIGGER partner_summary_admin_invited ON invitations;
DROP TRIGGER partner_summary_admin_user ON users;
DROP TRIGGER partner_summary_admin ON partners;
DROP FUNCTION partner_summary_user_renamed();
DROP FUNCTION partner_summary_admin_changed();
DROP INDEX partners_account_admin;
CREATE OR REPLACE FUNCTION partner_summary_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_summaries (partner_id) VALUES (NEW.id) ON CONFLICT (partner_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION refresh_partner_summary(pid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_summaries (partner_id)
        SELECT pid WHERE EXISTS (SELECT 1 FROM partners WHERE id = pid)
        ON CONFLICT (partner_id) DO NOTHING;
    PERFORM 1 FROM partner_summaries WHERE partner_id = pid FOR UPDATE;
    UPDATE partner_summaries SET
        domains = COALESCE((SELECT string_agg(domain, ', ' ORDER BY domain)
                              FROM partner_domains WHERE partner_id = pid), ''),
        product_count = (SELECT count(*) FROM partner_products WHERE partner_id = pid),
        api_count = (SELECT count(DISTINCT api_id) FROM partner_api_environments WHERE partner_id = pid),
        has_logo = EXISTS (SELECT 1 FROM partner_logos WHERE partner_id = pid)
     WHERE partner_id = pid;
END $$;
ALTER TABLE partner_summaries DROP COLUMN admin_pending, DROP COLUMN admin_email, DROP COLUMN admin_name;
