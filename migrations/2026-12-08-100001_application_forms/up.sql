-- Application forms (SPEC §12): each group has an ordered list of questions that applicants
-- answer (through the group's join link, or after Invite to apply). Choices of the choice types
-- are kept one per line, as the form builder takes them.
CREATE TABLE application_questions (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL,
    group_id      BIGINT NOT NULL,
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL
                  CHECK (kind IN ('short_text', 'long_text', 'single_choice', 'multiple_choice', 'url')),
    label         TEXT NOT NULL CHECK (char_length(label) BETWEEN 1 AND 200),
    required      BOOLEAN NOT NULL DEFAULT false,
    choices       TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind IN ('single_choice', 'multiple_choice')) = (choices <> '')),
    FOREIGN KEY (enterprise_id, group_id) REFERENCES partner_groups (enterprise_id, id) ON DELETE CASCADE
);
CREATE INDEX application_questions_group ON application_questions (enterprise_id, group_id, position);
