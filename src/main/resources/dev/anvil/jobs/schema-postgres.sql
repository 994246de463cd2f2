CREATE TABLE IF NOT EXISTS event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal(ordering);
CREATE TABLE IF NOT EXISTS event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY(event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY(event_id) REFERENCES event_journal(ordering) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);
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
  result BYTEA
);
CREATE INDEX IF NOT EXISTS anvil_jobs_newest ON anvil_jobs (submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_status ON anvil_jobs (status, submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_kind ON anvil_jobs (kind, submitted_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anvil_jobs_finished ON anvil_jobs (finished_at);
