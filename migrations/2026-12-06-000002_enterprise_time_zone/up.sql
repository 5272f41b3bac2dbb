-- The enterprise's time zone (SPEC §17): an IANA name (`Europe/Berlin`), checked against
-- chrono-tz's list in Rust when an admin sets it. Pages show times in it; stored times and
-- the CSV export stay UTC.
ALTER TABLE enterprises ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
