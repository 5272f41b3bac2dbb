DROP INDEX partner_domains_due_checks;
ALTER TABLE partner_domains
    DROP COLUMN check_locked_until,
    DROP COLUMN next_check_at,
    DROP COLUMN last_check_error,
    DROP COLUMN last_checked_at,
    DROP COLUMN verified_at,
    DROP COLUMN verification_token;
ALTER TABLE enterprises DROP COLUMN require_verified_domains;
