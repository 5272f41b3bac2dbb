-- The transactional outbox: an email is written in the same transaction as the change that
-- causes it, and a background worker sends it after commit (SPEC §6).

CREATE TABLE outbox_emails (
    id              BIGSERIAL PRIMARY KEY,
    -- What the email is about ('invitation', 'password_reset', ...); free text so a new kind
    -- needs no migration.
    kind            TEXT NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 40),
    enterprise_id   BIGINT REFERENCES enterprises (id),
    -- An email about an invitation that no longer exists must never go out.
    invitation_id   BIGINT REFERENCES invitations (id) ON DELETE CASCADE,
    -- Left part of the Message-ID header, fixed at enqueue so every retry carries the same id
    -- (receivers can then drop a duplicate); logs name emails by it, never by address.
    message_id      TEXT NOT NULL UNIQUE,
    to_address      TEXT NOT NULL CHECK (char_length(to_address) BETWEEN 3 AND 320),
    subject         TEXT NOT NULL,
    -- The bodies hold single-use links: erased once the email is sent, failed or cancelled
    -- (kept only by the development mailbox, whose page shows them).
    text_body       TEXT,
    html_body       TEXT,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- While 'sending': the claim's lease; a worker that died is replaced once it has passed.
    locked_until    TIMESTAMPTZ,
    -- Short, generic reason of the last failure: no address, no server text, no secret.
    last_error      TEXT CHECK (char_length(last_error) <= 200),
    -- 'smtp' or 'mailbox' (the development mailbox) once sent.
    delivered_via   TEXT CHECK (delivered_via IN ('smtp', 'mailbox')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK ((status = 'sending') = (locked_until IS NOT NULL))
);

-- The worker's claim query: due emails and expired leases, oldest first.
CREATE INDEX outbox_emails_due ON outbox_emails (id)
    WHERE status IN ('queued', 'sending');
CREATE INDEX outbox_emails_invitation ON outbox_emails (invitation_id, id DESC)
    WHERE invitation_id IS NOT NULL;
-- The development mailbox page, newest first.
CREATE INDEX outbox_emails_mailbox ON outbox_emails (sent_at DESC, id DESC)
    WHERE delivered_via = 'mailbox';
