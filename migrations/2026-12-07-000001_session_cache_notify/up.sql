-- The portal keeps each settled session's principal in memory (auth::session_cache) and drops
-- it when PostgreSQL says it may have changed: every change that can end a session or alter
-- who it acts as sends NOTIFY session_cache in its own transaction (delivered at commit, to
-- every instance's listener), whoever makes it -- a page, the CLI, a migration, psql.
--
-- Payloads: 's:<hex key_hash>' a session's state, membership or expiry; 'u:<id>' a person
-- (names, email, password, disabled) or their memberships; 'p:<id>' a partner's name or
-- status; 'e:<id>' an enterprise's name or time zone.

CREATE FUNCTION session_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_ RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN row_ := OLD; ELSE row_ := NEW; END IF;
    CASE TG_TABLE_NAME
        WHEN 'sessions' THEN PERFORM pg_notify('session_cache', 's:' || encode(OLD.key_hash, 'hex'));
        WHEN 'users' THEN PERFORM pg_notify('session_cache', 'u:' || OLD.id);
        WHEN 'memberships' THEN
            PERFORM pg_notify('session_cache', 'u:' || row_.user_id);
            IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
                PERFORM pg_notify('session_cache', 'u:' || OLD.user_id);
            END IF;
        WHEN 'partners' THEN PERFORM pg_notify('session_cache', 'p:' || OLD.id);
        WHEN 'enterprises' THEN PERFORM pg_notify('session_cache', 'e:' || OLD.id);
    END CASE;
    RETURN NULL;
END
$$;

-- The once-a-minute slide of the idle expiry changes nothing a cache holds (a cached copy
-- with an older expiry only reloads sooner): it does not notify. A shortened expiry does.
CREATE TRIGGER session_cache_notify AFTER UPDATE ON sessions FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
          OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.membership_id IS DISTINCT FROM NEW.membership_id
          OR NEW.expires_at < OLD.expires_at
          OR NEW.absolute_expires_at < OLD.absolute_expires_at
          OR OLD.key_hash <> NEW.key_hash)
    EXECUTE FUNCTION session_cache_notify();
CREATE TRIGGER session_cache_notify_delete AFTER DELETE ON sessions FOR EACH ROW
    EXECUTE FUNCTION session_cache_notify();
CREATE TRIGGER session_cache_notify AFTER UPDATE OR DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION session_cache_notify();
CREATE TRIGGER session_cache_notify AFTER INSERT OR UPDATE OR DELETE ON memberships FOR EACH ROW
    EXECUTE FUNCTION session_cache_notify();
CREATE TRIGGER session_cache_notify AFTER UPDATE OF name, status OR DELETE ON partners FOR EACH ROW
    EXECUTE FUNCTION session_cache_notify();
CREATE TRIGGER session_cache_notify AFTER UPDATE OF name, time_zone OR DELETE ON enterprises FOR EACH ROW
    EXECUTE FUNCTION session_cache_notify();
