DELETE FROM login_failures WHERE scope = 'oauth_client';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account', 'client', 'partner_lookup'));
DROP TABLE gateway_credentials;
DROP TABLE access_tokens;
DROP TABLE client_secrets;
DROP TABLE application_credentials;
DROP TABLE partner_applications;
