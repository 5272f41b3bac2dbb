-- Settings → Partners in its default order (live partners first, then the newest first), read
-- straight from the index a page at a time: with 500 partners the list no longer reads and
-- sorts every partner of the enterprise on each view.
CREATE INDEX partners_list_order ON partners (enterprise_id, (status IN ('deactivated', 'declined')), created_at DESC, id DESC);
