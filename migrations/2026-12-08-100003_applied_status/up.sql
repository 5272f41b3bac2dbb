-- Invite to apply (SPEC §12): a partnership registered by the wizard whose administrator must
-- submit the group's application form; `applied` until the enterprise approves it. It counts
-- toward the limit like the other live statuses. (partner_status_counts keeps any status.)
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check
    CHECK (status IN ('requested', 'invited', 'applied', 'active', 'deactivated', 'declined'));
