DROP INDEX outbox_pending_user_idx;
