-- The links of invitations that were resent: opening one says it was replaced by a newer
-- invitation, instead of "this link is not valid".
CREATE TABLE replaced_invitation_tokens (
    token_hash BYTEA PRIMARY KEY,
    invitation_id BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    replaced_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX replaced_invitation_tokens_invitation ON replaced_invitation_tokens (invitation_id);
