-- Anvil's own tables, after the journal plugin's (schema-h2.sql or schema-postgres.sql); the same
-- SQL on both databases (BYTEA is H2's name for VARBINARY too).
CREATE TABLE IF NOT EXISTS anvil_meta (
  one INT PRIMARY KEY,
  journal_id VARCHAR(64) NOT NULL
);
CREATE TABLE IF NOT EXISTS anvil_jobs (
  id VARCHAR(32) PRIMARY KEY,
  kind VARCHAR(255) NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL,
  node VARCHAR(255),
  submitted_at BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  queue_ms BIGINT NOT NULL,
  compute_ms BIGINT NOT NULL,
  error_type VARCHAR(255),
  error_title VARCHAR(255),
  error_status INT,
  error_detail VARCHAR(4000),
  -- the result, when it is small enough to list (the job's entity has every result)
  result BYTEA,
  -- the tenant that owns the job; a tenant's listing and its max-jobs count read its index
  tenant VARCHAR(64) DEFAULT 'default' NOT NULL
);
CREATE INDEX IF NOT EXISTS anvil_jobs_newest ON anvil_jobs (submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_status ON anvil_jobs (status, submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_kind ON anvil_jobs (kind, submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_finished ON anvil_jobs (finished_at);
-- (a database from before tenants gets the column from JobJournal.createSchema, not here: an
-- ALTER TABLE that two H2 sessions run at once can break the table for good)
CREATE INDEX IF NOT EXISTS anvil_jobs_tenant ON anvil_jobs (tenant, submitted_at DESC, id DESC);
-- Inputs and results larger than anvil.jobs.inline-bytes, kept beside the job rather than in its
-- events, so events, recoveries and the listing's projection stay small. part: 'input-<hash>' or
-- 'result'. Deleted with the job; rows of submissions that were never accepted after a day.
CREATE TABLE IF NOT EXISTS anvil_payloads (
  id VARCHAR(32) NOT NULL,
  part VARCHAR(80) NOT NULL,
  created_at BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (id, part)
);
CREATE INDEX IF NOT EXISTS anvil_payloads_created ON anvil_payloads (created_at);
