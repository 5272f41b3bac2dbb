DROP TABLE application_questions;
