-- Domain verification (SPEC §17, issue 18): each partner domain carries a random value that the
-- partner publishes as a TXT record at _partner-portal.<domain>. "Check now" looks it up; the
-- daily re-check (email-worker style: claimed with FOR UPDATE SKIP LOCKED and a lease, so
-- several instances check each domain once) drops the mark when the record is gone.

ALTER TABLE enterprises
    ADD COLUMN require_verified_domains boolean NOT NULL DEFAULT false;

-- The default is volatile, so every existing row gets a value of its own as the table is
-- rewritten, and every insert path (wizard, Add domain, connections) gets one without code.
-- gen_random_uuid() draws from PostgreSQL's strong random source: 122 random bits.
ALTER TABLE partner_domains
    ADD COLUMN verification_token text NOT NULL
        DEFAULT 'pp-verify-' || replace(gen_random_uuid()::text, '-', ''),
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN last_checked_at timestamptz,
    -- Why the last check did not find the value, in plain words; NULL when it did.
    ADD COLUMN last_check_error text,
    -- When the daily re-check is due (verified domains only).
    ADD COLUMN next_check_at timestamptz,
    -- A re-check worker's claim: other instances leave the row alone until then.
    ADD COLUMN check_locked_until timestamptz;

-- The re-check worker's claim query walks this partial index.
CREATE INDEX partner_domains_due_checks ON partner_domains (next_check_at)
    WHERE verified_at IS NOT NULL AND active;
