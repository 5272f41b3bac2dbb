UPDATE partners SET status = 'declined' WHERE status = 'applied';
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check
    CHECK (status IN ('requested', 'invited', 'active', 'deactivated', 'declined'));
