ALTER TABLE partner_drafts DROP COLUMN admin_note;
