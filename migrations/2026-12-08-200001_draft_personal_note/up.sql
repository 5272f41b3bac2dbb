-- The register wizard's Personal note for the administrator's invitation (SPEC §13), kept in
-- the draft with the rest of the step. NULL: the step was never saved (the form then offers
-- the enterprise's default note); '' : saved without a note.
ALTER TABLE partner_drafts ADD COLUMN admin_note TEXT
    CHECK (admin_note IS NULL OR char_length(admin_note) <= 1000);
