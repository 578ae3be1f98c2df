-- Full-text search over the archive. One row per indexed article
-- (published or scheduled), written by the search.reindex job. open_tsv
-- holds what every reader may read (headline A, standfirst B, byline D,
-- preview blocks C); full_tsv adds the blocks beyond the preview (C),
-- matched only for searchers who may read them. Snippets are built from
-- the blocks the searcher may read, not from the index.
CREATE TABLE search_documents (
    article_id BIGINT PRIMARY KEY NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    -- Copies of the article's status, access, time and section, kept in
    -- step by the article writes themselves: search filters and counts
    -- read these narrow rows, never the wide article rows.
    status TEXT NOT NULL,
    access TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    section_id BIGINT,
    publication TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    open_blocks BIGINT NOT NULL,
    indexed_at TIMESTAMPTZ NOT NULL,
    open_tsv TSVECTOR NOT NULL,
    full_tsv TSVECTOR NOT NULL
);
CREATE INDEX search_documents_published ON search_documents (status, published_at);
CREATE INDEX search_documents_publication ON search_documents (publication);
CREATE INDEX search_documents_language ON search_documents (language);
CREATE INDEX search_documents_open_tsv ON search_documents USING GIN (open_tsv);
CREATE INDEX search_documents_full_tsv ON search_documents USING GIN (full_tsv);
