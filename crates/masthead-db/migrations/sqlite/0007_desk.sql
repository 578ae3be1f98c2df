-- The desk: who started each article, staff second factors and
-- invitations, the audit log, article revisions, API tokens, outgoing
-- webhooks and their deliveries, and daily counters for the numbers.
ALTER TABLE articles ADD COLUMN created_by BIGINT REFERENCES staff(id) ON DELETE SET NULL;
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN disabled_at TIMESTAMP;

CREATE TABLE staff_invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    invited_by BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_invitations_email ON staff_invitations (email);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (created_at);
CREATE INDEX audit_log_target ON audit_log (target, created_at);

CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    kind TEXT NOT NULL,
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    draft_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (article_id, id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    staff_id BIGINT REFERENCES staff(id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at);

CREATE TABLE daily_counters (
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    item TEXT NOT NULL DEFAULT '',
    value BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, name, item)
);
CREATE INDEX daily_counters_name ON daily_counters (name, day);
