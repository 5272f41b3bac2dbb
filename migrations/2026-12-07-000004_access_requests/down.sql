DROP TABLE access_requests;
ALTER TABLE apis DROP COLUMN requestable, DROP COLUMN request_questions;
ALTER TABLE products DROP COLUMN requestable, DROP COLUMN request_questions;
