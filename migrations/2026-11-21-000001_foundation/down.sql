DROP TABLE audit_events;
DROP TABLE password_tokens;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE partners;
DROP TABLE enterprises;
