-- The relay publishes a user's events in the order they were stored: before it publishes what it claimed
-- it looks for an earlier unsent event of the same user (waiting for its next attempt, or claimed by
-- another replica's relay). This index makes that one lookup per user among the unsent events.
CREATE INDEX outbox_pending_user_idx ON outbox ((envelope ->> 'user_id'), created_at, event_id)
  WHERE sent_at IS NULL;
