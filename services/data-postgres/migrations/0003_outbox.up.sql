-- The transactional outbox: events stored in the same transaction as the write they report, and
-- published afterwards by the relay (publisher confirms), so a committed write never loses its event.
-- `envelope` is the event as the caller built it; `headers` the W3C trace context to send with it.
CREATE TABLE outbox (
  event_id        uuid PRIMARY KEY,
  event_type      varchar(128) NOT NULL,
  envelope        json NOT NULL,
  headers         json NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      varchar(1024),
  sent_at         timestamptz
);
-- What the relay claims (pending, due, oldest first) and what retention deletes.
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, created_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Wakes every listening relay when a transaction that stored events commits (NOTIFY is delivered on
-- commit, and not at all on rollback).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
