-- The claim that holds a mail's lease: a sender records the outcome only with its own token,
-- so a sender whose lease ran out cannot overwrite what the next sender recorded.
-- While a mail is pending, lease_until is also "not before": a retry waits its backoff there.
ALTER TABLE mail_outbox ADD COLUMN lease_token TEXT;

-- The admins' outbox list, newest first, with or without a status filter.
CREATE INDEX mail_outbox_at ON mail_outbox (at);
