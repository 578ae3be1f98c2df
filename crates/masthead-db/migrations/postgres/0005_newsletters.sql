-- Newsletters: the lists, their readers, editions, per-recipient deliveries
-- (the send queue itself), the suppression list and mail events received.
CREATE TABLE newsletters (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    cadence_json TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    from_name TEXT NOT NULL,
    from_email TEXT NOT NULL,
    reply_to TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '',
    regions TEXT NOT NULL DEFAULT '',
    template TEXT NOT NULL,
    box_after_paragraph BIGINT NOT NULL DEFAULT 2,
    position BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    next_run_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE newsletter_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    reader_id BIGINT REFERENCES readers(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    unsubscribed_at TIMESTAMPTZ,
    UNIQUE (newsletter_id, email)
);
CREATE INDEX newsletter_subscriptions_email ON newsletter_subscriptions (email);
CREATE INDEX newsletter_subscriptions_status ON newsletter_subscriptions (newsletter_id, status);

CREATE TABLE newsletter_editions (
    id BIGSERIAL PRIMARY KEY,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    slot TIMESTAMPTZ,
    subject TEXT NOT NULL DEFAULT '',
    intro TEXT NOT NULL DEFAULT '',
    added TEXT NOT NULL DEFAULT '',
    removed TEXT NOT NULL DEFAULT '',
    articles TEXT NOT NULL DEFAULT '',
    since TIMESTAMPTZ,
    recipients BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    UNIQUE (newsletter_id, slot)
);
CREATE INDEX newsletter_editions_newsletter ON newsletter_editions (newsletter_id, status);

CREATE TABLE newsletter_deliveries (
    id BIGSERIAL PRIMARY KEY,
    edition_id BIGINT NOT NULL REFERENCES newsletter_editions(id) ON DELETE CASCADE,
    subscription_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    run_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    sent_at TIMESTAMPTZ,
    UNIQUE (edition_id, email)
);
CREATE INDEX newsletter_deliveries_ready ON newsletter_deliveries (status, run_at);

CREATE TABLE mail_suppressions (
    email TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE mail_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    email TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
