-- The meter's lookups ask for one key's reads (WHERE meter_key = ? AND
-- read_at >= ?); the primary key (meter_key, article_id) already finds a
-- key's few rows. The second index only doubled the work of every recorded
-- read, the busiest write a site has.
DROP INDEX meter_reads_key_time;
