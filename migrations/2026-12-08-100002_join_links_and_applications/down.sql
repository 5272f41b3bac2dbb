DROP TABLE program_application_domains;
DROP TABLE program_applications;
DELETE FROM password_tokens WHERE purpose = 'confirm';
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check CHECK (purpose IN ('set', 'reset'));
ALTER TABLE users DROP COLUMN email_confirmed_at;
ALTER TABLE partner_groups DROP CONSTRAINT partner_groups_join_open_has_code;
ALTER TABLE partner_groups DROP COLUMN join_open;
ALTER TABLE partner_groups DROP COLUMN join_code;
