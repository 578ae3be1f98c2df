-- Billing: payment-provider customers, checkout sessions, received
-- provider events (stored once, processed as jobs) and gift subscriptions.
CREATE TABLE billing_customers (
    reader_id BIGINT PRIMARY KEY NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    customer_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE checkout_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    reader_id BIGINT REFERENCES readers(id) ON DELETE CASCADE,
    plan_id BIGINT REFERENCES plans(id),
    gift_months BIGINT,
    purchaser_email TEXT,
    recipient_email TEXT,
    status TEXT NOT NULL,
    next_path TEXT NOT NULL DEFAULT '/account',
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX checkout_sessions_reader ON checkout_sessions (reader_id, created_at);

CREATE TABLE billing_events (
    id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created BIGINT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    error TEXT
);
CREATE INDEX billing_events_created ON billing_events (provider, created);

CREATE TABLE gifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT NOT NULL UNIQUE,
    months BIGINT NOT NULL,
    purchaser_email TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    checkout_session_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    redeemed_by BIGINT REFERENCES readers(id) ON DELETE SET NULL,
    redeemed_at TIMESTAMP
);
