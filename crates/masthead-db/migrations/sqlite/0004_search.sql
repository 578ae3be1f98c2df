-- Full-text search over the archive. One row of search_documents per
-- indexed article (published or scheduled), written by the search.reindex
-- job; the words live in the FTS5 table search_fts, whose rowid is the
-- article id. It is contentless: the text is in the articles table already,
-- and snippets are built from the blocks the searcher may read, not from
-- the index. "open" columns hold what every reader may read (headline,
-- standfirst, byline, the preview blocks); "rest" the blocks beyond the
-- preview, matched only for searchers who may read them.
CREATE TABLE search_documents (
    article_id BIGINT PRIMARY KEY NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    -- Copies of the article's status, access, time and section, kept in
    -- step by the article writes themselves: search filters and counts
    -- read these narrow rows, never the wide article rows.
    status TEXT NOT NULL,
    access TEXT NOT NULL,
    published_at TIMESTAMP,
    section_id BIGINT,
    publication TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    open_blocks BIGINT NOT NULL,
    indexed_at TIMESTAMP NOT NULL
);
CREATE INDEX search_documents_published ON search_documents (status, published_at);
CREATE INDEX search_documents_publication ON search_documents (publication);
CREATE INDEX search_documents_language ON search_documents (language);

CREATE VIRTUAL TABLE search_fts USING fts5(
    headline, standfirst, byline, lead, rest,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Deleting an article cascades to its document; the words go with it.
CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents BEGIN
    DELETE FROM search_fts WHERE rowid = old.article_id;
END;
