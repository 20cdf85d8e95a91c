-- The opt-out list (docs/compliance.md): one row per (tenant, address, channel scope, sender scope).
-- Checked before every send. `sender` '' means every sender of the tenant (opt_out_scope = tenant).
CREATE TABLE suppressions (
  tenant_id TEXT NOT NULL,
  address TEXT NOT NULL,                  -- E.164, '+' and digits
  channel TEXT NOT NULL,                  -- sms (SMS, MMS, RCS share one opt-out) | whatsapp
  sender TEXT NOT NULL DEFAULT '',        -- '' = every sender of the tenant
  source TEXT NOT NULL,                   -- keyword | provider | operator | import
  keyword TEXT,                           -- the opt-out word, or the provider's code (21610, 1005)
  reason TEXT,                            -- free text of an operator or an import line
  evidence TEXT,                          -- provider message id / webhook event id that caused it
  created_at INTEGER NOT NULL,            -- ms since epoch
  PRIMARY KEY (tenant_id, address, channel, sender)
);
CREATE INDEX suppressions_by_created ON suppressions (tenant_id, created_at);

-- Every change of the list, kept for audit and for the CI360 contact-preference upload (the rows whose
-- ci360_uploaded_at is NULL are the changes CI360 has not been told of yet).
CREATE TABLE suppression_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  address TEXT NOT NULL,
  channel TEXT NOT NULL,
  sender TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,                   -- add | remove
  source TEXT NOT NULL,                   -- keyword | provider | operator | import
  actor TEXT NOT NULL,                    -- 'key:<digest prefix>' for an admin key, else the source
  detail TEXT,
  at INTEGER NOT NULL,
  ci360_uploaded_at INTEGER
);
CREATE INDEX suppression_changes_by_tenant ON suppression_changes (tenant_id, id);
CREATE INDEX suppression_changes_to_upload ON suppression_changes (ci360_uploaded_at, tenant_id, id);
