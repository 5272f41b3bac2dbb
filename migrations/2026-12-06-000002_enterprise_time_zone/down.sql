ALTER TABLE enterprises DROP COLUMN time_zone;
