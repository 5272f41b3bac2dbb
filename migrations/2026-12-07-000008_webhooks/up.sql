-- Webhooks (SPEC §14): an enterprise's endpoints, each with the events it wants and the secret
-- its deliveries are signed with, and the deliveries themselves: an outbox written in the
-- transaction of the change the event is about, claimed by workers with SKIP LOCKED and a
-- lease, settled by naming the claim (its attempt number), as outbox_emails is.
CREATE TABLE webhook_endpoints (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    url           TEXT NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    events        TEXT[] NOT NULL CHECK (cardinality(events) > 0),
    -- `whsec_` + base64 of 32 random bytes. Kept as it is, not hashed: every delivery is
    -- signed with it (HMAC), so the portal must be able to read it back. It is shown once.
    secret        TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_enterprise ON webhook_endpoints (enterprise_id);

CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    enterprise_id    BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    endpoint_id      BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    -- The Standard Webhooks `webhook-id` (`msg_…`): one per event, the same on every retry.
    msg_id           TEXT NOT NULL,
    payload          JSONB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A worker's lease on a pending delivery it is sending; NULL when nobody holds it.
    claimed_until    TIMESTAMPTZ,
    last_status_code INTEGER,
    last_error       TEXT,
    last_attempt_at  TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ,
    UNIQUE (endpoint_id, msg_id)
);
-- The workers' claim: only what is still to be delivered.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The delivery log of one endpoint, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (enterprise_id, endpoint_id, id DESC);
