-- The CI360 contact-preference upload (docs/compliance.md, docs/storage.md): one row per tenant saying when
-- the cron may upload its next opt-outs/opt-ins, and how the last attempts went. The rows to upload are the
-- suppression_changes rows whose ci360_uploaded_at is NULL (0008).
CREATE TABLE contact_preference_uploads (
  tenant_id TEXT PRIMARY KEY,
  next_run_at INTEGER NOT NULL,           -- ms; due once passed. Set ahead by a run's lease while it runs
  failures INTEGER NOT NULL DEFAULT 0,    -- failed runs in a row (the backoff step); 0 after a success
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_error TEXT,                        -- secret-free summary of the last failure
  last_job_id TEXT,                       -- CI360's tableJobs id of the last upload
  last_rows INTEGER,                      -- CSV rows in the last upload
  updated_at INTEGER NOT NULL
);
