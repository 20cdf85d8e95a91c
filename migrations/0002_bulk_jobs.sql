-- Bulk copies run by the BULK_COPY Workflow: one row per accepted CI360 bulk webhook. The unique
-- (tenant_id, dedupe_key) is the idempotency claim taken before the Workflow starts, so a CI360
-- redelivery (same responseTrackingCode, else same taskId + occurrenceId) never starts a second copy.
CREATE TABLE bulk_jobs (
  job_id TEXT PRIMARY KEY,                -- also the Workflow instance id
  tenant_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,               -- rtc:<code> | task:<taskId>:<occurrenceId> | job:<job_id>
  response_tracking_code TEXT,
  state TEXT NOT NULL,                    -- queued | running | done | failed
  upload_filename TEXT NOT NULL,          -- the object key of the data file
  bucket_name TEXT NOT NULL,
  bytes INTEGER,
  parts INTEGER,
  upload_id TEXT,                         -- multipart upload in progress; cleared once completed or aborted
  upload_key TEXT,                        -- the key that upload writes
  error_code TEXT,
  error_message TEXT,
  created_at INTEGER NOT NULL,            -- ms since epoch
  updated_at INTEGER NOT NULL,
  UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX bulk_jobs_open ON bulk_jobs (state, updated_at);
CREATE INDEX bulk_jobs_by_created ON bulk_jobs (created_at);
