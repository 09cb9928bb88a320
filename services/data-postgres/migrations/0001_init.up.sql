-- Users, refresh tokens, media jobs and knowledge-base documents.
-- Timestamps that serve as pagination keys are truncated to milliseconds, the precision of the
-- ISO-8601 values on the wire, so a cursor always names an exact row position.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         varchar(254) NOT NULL CHECK (email = lower(email)),
  username      varchar(32)  NOT NULL,
  display_name  varchar(128),
  password_hash varchar(512) NOT NULL,
  role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  telegram_id   bigint CHECK (telegram_id > 0),
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  version       integer NOT NULL DEFAULT 1 CHECK (version > 0)
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_telegram_id_key ON users (telegram_id) WHERE telegram_id IS NOT NULL;
CREATE INDEX users_email_prefix_idx ON users (email text_pattern_ops);
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  char(64) NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  family_id   uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

CREATE TABLE media_jobs (
  id                    uuid PRIMARY KEY,
  owner_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind                  text NOT NULL CHECK (kind IN ('photo', 'document')),
  source                text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'telegram')),
  status                text NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
  attempts              integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts          integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  lease_owner           varchar(128),
  lease_expires_at      timestamptz,
  progress              smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  original_blob_id      varchar(64) NOT NULL,
  original_filename     varchar(255) NOT NULL,
  original_content_type varchar(127) NOT NULL,
  original_size_bytes   bigint NOT NULL CHECK (original_size_bytes >= 0),
  result_blob_id        varchar(64),
  result_content_type   varchar(127),
  result_size_bytes     bigint,
  result_width          integer,
  result_height         integer,
  original_width        integer,
  original_height       integer,
  thumbnail_blob_id     varchar(64),
  thumbnail_size_bytes  bigint,
  bytes_saved           bigint,
  error_code            varchar(64),
  error_message         varchar(1024),
  created_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  started_at            timestamptz,
  finished_at           timestamptz,
  CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
  CHECK (status <> 'processing' OR lease_owner IS NOT NULL)
);
CREATE INDEX media_jobs_owner_created_idx ON media_jobs (owner_id, created_at DESC, id DESC);
CREATE INDEX media_jobs_created_idx ON media_jobs (created_at DESC, id DESC);
CREATE INDEX media_jobs_lease_expiry_idx ON media_jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX media_jobs_queued_idx ON media_jobs (updated_at) WHERE status = 'queued';

CREATE TABLE documents (
  id            uuid PRIMARY KEY,
  owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title         varchar(255) NOT NULL,
  source_job_id uuid REFERENCES media_jobs (id) ON DELETE SET NULL,
  content_type  varchar(127) NOT NULL,
  chunk_count   integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'indexed', 'failed')),
  error_code    varchar(64),
  error_message varchar(1024),
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  indexed_at    timestamptz
);
CREATE INDEX documents_owner_created_idx ON documents (owner_id, created_at DESC, id DESC);
CREATE INDEX documents_created_idx ON documents (created_at DESC, id DESC);
CREATE INDEX documents_source_job_id_idx ON documents (source_job_id);
