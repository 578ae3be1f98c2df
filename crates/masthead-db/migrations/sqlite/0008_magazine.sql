-- The weekly magazine: numbered issues with their cover, editor's letter and
-- articles in sections; editors' picks waiting for an issue; and the EPUB
-- files built for each issue, one per access profile, with what each holds.
CREATE TABLE magazine_issues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number BIGINT UNIQUE,
    week_start TIMESTAMP NOT NULL UNIQUE,
    title TEXT NOT NULL,
    cover_media_key TEXT,
    cover_line TEXT NOT NULL DEFAULT '',
    letter_markdown TEXT NOT NULL DEFAULT '',
    letter_blocks_json TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX magazine_issues_status ON magazine_issues (status, number);

CREATE TABLE magazine_issue_articles (
    issue_id BIGINT NOT NULL REFERENCES magazine_issues(id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    section TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT 'editor',
    reads BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (issue_id, article_id)
);
CREATE INDEX magazine_issue_articles_article ON magazine_issue_articles (article_id);

CREATE TABLE magazine_picks (
    article_id BIGINT PRIMARY KEY NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    picked_by BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    picked_at TIMESTAMP NOT NULL
);

CREATE TABLE magazine_epubs (
    issue_id BIGINT NOT NULL REFERENCES magazine_issues(id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    file_name TEXT,
    contents_json TEXT NOT NULL DEFAULT '[]',
    bytes BIGINT NOT NULL DEFAULT 0,
    built_revision BIGINT NOT NULL DEFAULT 0,
    built_at TIMESTAMP,
    build_ms BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    failed_at TIMESTAMP,
    PRIMARY KEY (issue_id, profile)
);
