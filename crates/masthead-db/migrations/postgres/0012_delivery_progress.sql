-- An edition's progress (deliveries counted by status, asked by the desk
-- while a send runs) read every row of the edition and sorted them by
-- status in memory: at 1,000,000 recipients, megabytes and a large part of
-- a core per look. With this index the counts come from the index alone,
-- already in status order.
CREATE INDEX newsletter_deliveries_progress ON newsletter_deliveries (edition_id, status);
