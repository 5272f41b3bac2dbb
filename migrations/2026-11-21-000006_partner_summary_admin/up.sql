-- The partners list also shows each partner's account administrator, or the person invited to
-- be one. Finding them joined `users` and the pending administrator invitations on every view:
-- with them the list statement cost PostgreSQL 98 µs, without them 61 µs (measured in a
-- PL/pgSQL loop over the prepared statement on the benchmark's data). So the summary row now
-- carries the administrator too, kept current by the triggers below.
ALTER TABLE partner_summaries
    ADD COLUMN admin_name    TEXT,
    ADD COLUMN admin_email   TEXT,
    ADD COLUMN admin_pending BOOLEAN NOT NULL DEFAULT false;

-- Recounts one partner's summary from its children, its administrator and the latest pending
-- administrator invitation.
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

-- A new partner's summary starts from the partner itself (it may be created with its
-- administrator already set).
CREATE OR REPLACE FUNCTION partner_summary_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_partner_summary(NEW.id);
    RETURN NULL;
END $$;

-- A partner's administrator changed.
CREATE FUNCTION partner_summary_admin_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_partner_summary(NEW.id);
    RETURN NULL;
END $$;

-- A person renamed or given another address: the partners they administer.
CREATE FUNCTION partner_summary_user_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_partner_summary(id) FROM partners WHERE account_admin_user_id = NEW.id;
    RETURN NULL;
END $$;

CREATE INDEX partners_account_admin ON partners (account_admin_user_id);

CREATE TRIGGER partner_summary_admin AFTER UPDATE OF account_admin_user_id ON partners
    FOR EACH ROW WHEN (OLD.account_admin_user_id IS DISTINCT FROM NEW.account_admin_user_id)
    EXECUTE FUNCTION partner_summary_admin_changed();
CREATE TRIGGER partner_summary_admin_user AFTER UPDATE OF first_name, surname, email ON users
    FOR EACH ROW WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name
                       OR OLD.surname IS DISTINCT FROM NEW.surname
                       OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION partner_summary_user_renamed();
-- Administrator invitations only (`partner_summary_changed` refreshes NEW's and OLD's partner).
CREATE TRIGGER partner_summary_admin_invited AFTER INSERT ON invitations
    FOR EACH ROW WHEN (NEW.for_account_admin)
    EXECUTE FUNCTION partner_summary_changed();
CREATE TRIGGER partner_summary_admin_invitation AFTER UPDATE ON invitations
    FOR EACH ROW WHEN ((OLD.for_account_admin OR NEW.for_account_admin)
                       AND (OLD.status, OLD.first_name, OLD.surname, OLD.email, OLD.for_account_admin, OLD.partner_id)
                           IS DISTINCT FROM
                           (NEW.status, NEW.first_name, NEW.surname, NEW.email, NEW.for_account_admin, NEW.partner_id))
    EXECUTE FUNCTION partner_summary_changed();
CREATE TRIGGER partner_summary_admin_uninvited AFTER DELETE ON invitations
    FOR EACH ROW WHEN (OLD.for_account_admin)
    EXECUTE FUNCTION partner_summary_changed();

SELECT refresh_partner_summary(id) FROM partners;
