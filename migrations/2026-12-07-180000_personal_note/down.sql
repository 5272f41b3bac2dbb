ALTER TABLE enterprises DROP COLUMN invitation_note;
ALTER TABLE invitations DROP COLUMN note;
