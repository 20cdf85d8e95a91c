-- Deliveries: one row per CI360 event guid and tenant. The primary key is the idempotency claim, taken
-- before the provider is called, so a CI360 redelivery never sends a second message.
CREATE TABLE deliveries (
  tenant_id TEXT NOT NULL,
  guid TEXT NOT NULL,
  provider TEXT NOT NULL,                 -- scg | twilio
  identity_id TEXT NOT NULL,              -- CI360 identityId (datahub_id)
  external_code TEXT,                     -- properties.externalCode (task code)
  recipient_masked TEXT,                  -- for operators; the full number is never stored here
  state TEXT NOT NULL,                    -- sending | sent | queued | rejected | stale | expired | dead
  provider_message_id TEXT,
  provider_status TEXT,                   -- latest status a provider webhook reported
  attempts INTEGER NOT NULL DEFAULT 0,    -- provider calls made
  last_error TEXT,
  generated_timestamp INTEGER,            -- CI360 date.generatedTimestamp (ms)
  history TEXT NOT NULL DEFAULT '[]',     -- JSON array of {state, at, detail?}
  created_at INTEGER NOT NULL,            -- ms since epoch
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, guid)
);
CREATE INDEX deliveries_by_provider_message ON deliveries (provider, provider_message_id);
CREATE INDEX deliveries_by_created ON deliveries (created_at);

-- Failed requests: the Lambda table's fields (guid, generatedTimestamp, event_body, http_status,
-- insert_ts) plus what the retry engine needs.
CREATE TABLE failed_requests (
  id TEXT PRIMARY KEY,                    -- sortable id: created time + random suffix
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,                     -- scg | twilio | ci360_event
  guid TEXT NOT NULL,                     -- CI360 guid, or the webhook event key for ci360_event
  generated_timestamp INTEGER,
  event_body TEXT NOT NULL,
  meta TEXT NOT NULL DEFAULT '{}',        -- kind-specific context (e.g. the public origin for callbacks)
  http_status INTEGER,
  insert_ts TEXT NOT NULL,                -- ISO 8601 UTC
  state TEXT NOT NULL,                    -- pending | done | dead | expired
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                -- ms since epoch; due when <= now and state = pending
  last_error TEXT,
  lease_until INTEGER,                    -- a cron run holds the row until then
  lease_token TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (tenant_id, kind, guid)
);
CREATE INDEX failed_requests_due ON failed_requests (state, next_attempt_at);
CREATE INDEX failed_requests_by_tenant ON failed_requests (tenant_id, id);
CREATE INDEX failed_requests_by_created ON failed_requests (created_at);

-- Webhook events already handled, for dedupe: SCG event-id, Twilio MessageSid:MessageStatus.
CREATE TABLE webhook_events (
  source TEXT NOT NULL,                   -- scg | twilio
  event_key TEXT NOT NULL,
  tenant_id TEXT,
  outcome TEXT,                           -- what the first delivery was answered with
  created_at INTEGER NOT NULL,
  PRIMARY KEY (source, event_key)
);
CREATE INDEX webhook_events_by_created ON webhook_events (created_at);
