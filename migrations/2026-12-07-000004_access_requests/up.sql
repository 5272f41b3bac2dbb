-- Request access (SPEC §15): catalog items the enterprise marks *requestable*, with optional
-- questions, and the partners' requests for them, answered by Approve (optionally with an end
-- day) or Decline (with a reason).
ALTER TABLE products
    ADD COLUMN requestable       BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN request_questions TEXT[]  NOT NULL DEFAULT '{}';
ALTER TABLE apis
    ADD COLUMN requestable       BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN request_questions TEXT[]  NOT NULL DEFAULT '{}';

CREATE TABLE access_requests (
    id              BIGSERIAL PRIMARY KEY,
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    partner_id      BIGINT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    -- A product, or an API in the environments asked for.
    product_id      BIGINT REFERENCES products (id) ON DELETE CASCADE,
    api_id          BIGINT REFERENCES apis (id) ON DELETE CASCADE,
    environment_ids BIGINT[] NOT NULL DEFAULT '{}',
    -- [{"question": …, "answer": …}], in the item's order when asked.
    answers         JSONB NOT NULL DEFAULT '[]',
    requested_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    requested_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined')),
    decided_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at      TIMESTAMPTZ,
    decline_reason  TEXT NOT NULL DEFAULT '' CHECK (char_length(decline_reason) <= 1000),
    -- The end day the approval gave the grant, if any.
    expires_on      DATE,
    CHECK ((product_id IS NULL) <> (api_id IS NULL)),
    CHECK (api_id IS NULL OR cardinality(environment_ids) > 0),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- The enterprise's queue, oldest first; a partner's own list, newest first.
CREATE INDEX access_requests_queue ON access_requests (enterprise_id, requested_at) WHERE status = 'pending';
CREATE INDEX access_requests_partner ON access_requests (enterprise_id, partner_id, requested_at DESC);
-- One pending request per partner and item.
CREATE UNIQUE INDEX access_requests_one_pending_product ON access_requests (partner_id, product_id)
    WHERE status = 'pending' AND product_id IS NOT NULL;
CREATE UNIQUE INDEX access_requests_one_pending_api ON access_requests (partner_id, api_id)
    WHERE status = 'pending' AND api_id IS NOT NULL;
