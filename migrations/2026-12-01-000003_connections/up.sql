-- Partner ID lookups that matched no partner (SPEC §11) are throttled per person, in the same
-- sliding-window table as failed logins.
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account', 'client', 'partner_lookup'));
