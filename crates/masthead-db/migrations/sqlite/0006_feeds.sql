-- Readers' private full-text feeds: one secret address per reader, kept as
-- a hash; making a new one replaces (revokes) the old.
CREATE TABLE feed_tokens (
    reader_id BIGINT PRIMARY KEY NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
