-- The partners list read each row's Partner ID from partner_organisations and its logo's
-- version from partner_logos: two keyed lookups per row besides the summary's, 50 on a page of
-- 25. The summary row now carries both, kept current by the triggers below, so a row of the
-- list costs one lookup.
ALTER TABLE partner_summaries
    ADD COLUMN logo_updated_at TIMESTAMPTZ,
    ADD COLUMN partner_code    TEXT NOT NULL DEFAULT '';

-- Recounts one partner's summary from its children, its organisation, its administrator and
-- the latest pending administrator invitation.
CREATE OR REPLACE FUNCTION refresh_partner_summary(pid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_summaries (partner_id)
        SELECT pid WHERE EXISTS (SELECT 1 FROM partners WHERE id = pid)
        ON CONFLICT (partner_id) DO NOTHING;
    -- Waits for another transaction recounting this partner; the UPDATE below then takes a
    -- fresh snapshot that sees what that transaction wrote, so concurrent grants are never
    -- lost to a count taken before the wait.
    PERFORM 1 FROM partner_summaries WHERE partner_id = pid FOR UPDATE;
    UPDATE partner_summaries m SET
        domains = COALESCE((SELECT string_agg(domain, ', ' ORDER BY domain)
                              FROM partner_domains WHERE partner_id = pid), ''),
        product_count = (SELECT count(*) FROM partner_products WHERE partner_id = pid),
        api_count = (SELECT count(DISTINCT api_id) FROM partner_api_environments WHERE partner_id = pid),
        has_logo = lg.updated_at IS NOT NULL,
        logo_updated_at = lg.updated_at,
        partner_code = COALESCE(o.partner_code, ''),
        admin_name = COALESCE(a.first_name || ' ' || a.surname, i.first_name || ' ' || i.surname),
        admin_email = COALESCE(a.email, i.email),
        admin_pending = (a.id IS NULL AND i.id IS NOT NULL)
      FROM partners p
      LEFT JOIN partner_organisations o ON o.id = p.organisation_id
      LEFT JOIN users a ON a.id = p.account_admin_user_id
      LEFT JOIN LATERAL (SELECT updated_at FROM partner_logos WHERE partner_id = p.id) lg ON true
      LEFT JOIN LATERAL (
           SELECT g.id, g.first_name, g.surname, g.email FROM invitations g
            WHERE g.partner_id = p.id AND g.for_account_admin AND g.status = 'pending'
            ORDER BY g.created_at DESC, g.id DESC LIMIT 1
      ) i ON true
     WHERE m.partner_id = pid AND p.id = pid;
END $$;

-- A logo replaced (set_logo upserts: the row is updated, not inserted) changes its version.
CREATE TRIGGER partner_summary_logo_replaced AFTER UPDATE OF updated_at ON partner_logos
    FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION partner_summary_changed();

-- A partner moved to another organisation shows that organisation's Partner ID.
CREATE TRIGGER partner_summary_organisation AFTER UPDATE OF organisation_id ON partners
    FOR EACH ROW WHEN (OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
    EXECUTE FUNCTION partner_summary_admin_changed();

-- Partner IDs are not changed by the portal; should one be (by hand), the lists follow.
CREATE FUNCTION partner_summary_code_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_partner_summary(id) FROM partners WHERE organisation_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER partner_summary_code AFTER UPDATE OF partner_code ON partner_organisations
    FOR EACH ROW WHEN (OLD.partner_code IS DISTINCT FROM NEW.partner_code)
    EXECUTE FUNCTION partner_summary_code_changed();

SELECT refresh_partner_summary(id) FROM partners;

-- How many partners each enterprise has in each status, kept by the statement triggers below:
-- the list's usage meter and its "Showing 1–25 of N" read these few rows instead of counting
-- every partner on each view (at 500 partners the counts were a quarter of the statement).
-- A search still counts the partners it matches.
CREATE TABLE partner_status_counts (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    status        TEXT NOT NULL,
    -- No CHECK (n >= 0): a proposed row of INSERT … ON CONFLICT is checked before the conflict
    -- turns it into an update, so a negative delta could not be applied in the same statement.
    n             BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, status)
);

-- Applies one statement's changes to partners as one delta per (enterprise, status), in key
-- order: two statements changing several partners at once lock the count rows in the same
-- order, so they wait for each other instead of deadlocking.
CREATE FUNCTION partner_status_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO partner_status_counts (enterprise_id, status, n)
             SELECT enterprise_id, status, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (enterprise_id, status) DO UPDATE SET n = partner_status_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE partner_status_counts c SET n = c.n - d.k
          FROM (SELECT enterprise_id, status, count(*) AS k FROM old_rows GROUP BY 1, 2) d
         WHERE c.enterprise_id = d.enterprise_id AND c.status = d.status;
    ELSE
        INSERT INTO partner_status_counts (enterprise_id, status, n)
             SELECT enterprise_id, status, sum(k) FROM (
                    SELECT enterprise_id, status, 1 AS k FROM new_rows
                    UNION ALL
                    SELECT enterprise_id, status, -1 FROM old_rows) d
              GROUP BY 1, 2 HAVING sum(k) <> 0 ORDER BY 1, 2
        ON CONFLICT (enterprise_id, status) DO UPDATE SET n = partner_status_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;

-- (Transition tables need one trigger per event, and no column list.)
CREATE TRIGGER partner_status_counts_inserted AFTER INSERT ON partners
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION partner_status_counts_changed();
CREATE TRIGGER partner_status_counts_updated AFTER UPDATE ON partners
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION partner_status_counts_changed();
CREATE TRIGGER partner_status_counts_deleted AFTER DELETE ON partners
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION partner_status_counts_changed();

-- Taken under a lock that keeps partners from changing while they are counted.
LOCK TABLE partners IN SHARE MODE;
INSERT INTO partner_status_counts (enterprise_id, status, n)
     SELECT enterprise_id, status, count(*) FROM partners GROUP BY 1, 2;
