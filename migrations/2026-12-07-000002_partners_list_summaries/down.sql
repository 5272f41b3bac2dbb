DROP TRIGGER partner_status_counts_deleted ON partners;
DROP TRIGGER partner_status_counts_updated ON partners;
DROP TRIGGER partner_status_counts_inserted ON partners;
DROP FUNCTION partner_status_counts_changed();
DROP TABLE partner_status_counts;

DROP TRIGGER partner_summary_code ON partner_organisations;
DROP FUNCTION partner_summary_code_changed();
DROP TRIGGER partner_summary_organisation ON partners;
DROP TRIGGER partner_summary_logo_replaced ON partner_logos;

CREATE OR REPLACE FUNCTION refresh_partner_summary(pid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_summaries (partner_id)
        SELECT pid WHERE EXISTS (SELECT 1 FROM partners WHERE id = pid)
        ON CONFLICT (partner_id) DO NOTHING;
    PERFORM 1 FROM partner_summaries WHERE partner_id = pid FOR UPDATE;
    UPDATE partner_summaries m SET
        domains = COALESCE((SELECT string_agg(domain, ', ' ORDER BY domain)
                              FROM partner_domains WHERE partner_id = pid), ''),
        product_count = (SELECT count(*) FROM partner_products WHERE partner_id = pid),
        api_count = (SELECT count(DISTINCT api_id) FROM partner_api_environments WHERE partner_id = pid),
        has_logo = EXISTS (SELECT 1 FROM partner_logos WHERE partner_id = pid),
        admin_name = COALESCE(a.first_name || ' ' || a.surname, i.first_name || ' ' || i.surname),
        admin_email = COALESCE(a.email, i.email),
        admin_pending = (a.id IS NULL AND i.id IS NOT NULL)
      FROM partners p
      LEFT JOIN users a ON a.id = p.account_admin_user_id
      LEFT JOIN LATERAL (
           SELECT g.id, g.first_name, g.surname, g.email FROM invitations g
            WHERE g.partner_id = p.id AND g.for_account_admin AND g.status = 'pending'
            ORDER BY g.created_at DESC, g.id DESC LIMIT 1
      ) i ON true
     WHERE m.partner_id = pid AND p.id = pid;
END $$;

ALTER TABLE partner_summaries DROP COLUMN logo_updated_at, DROP COLUMN partner_code;
