-- Personal note (SPEC §13): an optional plain-text note, at most 1,000 characters, that an
-- invitation carries into its email (kept on the row so a resend sends it again), and the
-- enterprise's default note that pre-fills every invitation form. NULL: no note.
ALTER TABLE invitations ADD COLUMN note TEXT CHECK (char_length(note) BETWEEN 1 AND 1000);
ALTER TABLE enterprises ADD COLUMN invitation_note TEXT CHECK (char_length(invitation_note) BETWEEN 1 AND 1000);
