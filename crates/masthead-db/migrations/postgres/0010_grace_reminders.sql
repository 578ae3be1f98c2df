-- When the reminder that a past-due subscription's grace period is ending
-- went out; cleared when the subscription leaves past_due, so a later
-- failure reminds again. Set by compare-and-set: one node sends it.
ALTER TABLE subscriptions ADD COLUMN grace_reminded_at TIMESTAMPTZ;
