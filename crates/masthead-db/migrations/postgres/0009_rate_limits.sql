-- Attempt counters for anything that sends mail or checks a password, kept in
-- the database so that every node of a cluster counts against one limit.
-- One row per key ("login-ip:203.0.113.9"); a fixed window per row.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
