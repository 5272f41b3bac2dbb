DROP TRIGGER session_cache_notify ON enterprises;
DROP TRIGGER session_cache_notify ON partners;
DROP TRIGGER session_cache_notify ON memberships;
DROP TRIGGER session_cache_notify ON users;
DROP TRIGGER session_cache_notify_delete ON sessions;
DROP TRIGGER session_cache_notify ON sessions;
DROP FUNCTION session_cache_notify();
