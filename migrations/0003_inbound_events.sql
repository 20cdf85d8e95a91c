-- Every authenticated webhook delivery (Event Manager, Twilio status and inbound), kept with its raw
-- body so an operator can read it and replay it through the same pipeline (docs/console.md).
CREATE TABLE inbound_events (
  id TEXT PRIMARY KEY,                    -- sortable id: received time (13 hex digits of ms) + random suffix
  tenant_id TEXT NOT NULL,
  source TEXT NOT NULL,                   -- scg | twilio | genesys
  route_tenant_id TEXT,                   -- tenant of the route it arrived on; NULL on the global SCG route
  event_key TEXT NOT NULL,                -- SCG event-id, Twilio MessageSid:MessageStatus or inbound:MessageSid
  type TEXT NOT NULL,                     -- SCG evt-tp, Twilio status | inbound
  state TEXT NOT NULL,                    -- injected | queued | ignored | duplicate | failed | dead | handled
  message_id TEXT,                        -- provider message id the event is about (SCG message_request_id, MessageSid)
  body TEXT NOT NULL,                     -- raw body as received (admin keys only)
  content_type TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,    -- times processed: the delivery plus each replay
  tracking TEXT NOT NULL DEFAULT '[]',    -- JSON array of {at, target, http_status, latency_ms, outcome}
  created_at INTEGER NOT NULL,            -- received, ms since epoch (retention purge)
  updated_at INTEGER NOT NULL
);
-- Events list, newest first; from/to become a range on the id, which starts with the received time.
CREATE INDEX inbound_events_by_tenant ON inbound_events (tenant_id, id);
CREATE INDEX inbound_events_by_tenant_state ON inbound_events (tenant_id, state, id);
-- Search (q) by event key or provider message id.
CREATE INDEX inbound_events_by_key ON inbound_events (tenant_id, event_key);
CREATE INDEX inbound_events_by_message ON inbound_events (tenant_id, message_id);
-- Stats (covering: counts per bucket and state) and the retention purge.
CREATE INDEX inbound_events_by_tenant_created ON inbound_events (tenant_id, created_at, state);
CREATE INDEX inbound_events_by_created ON inbound_events (created_at);

-- Message search and stats on deliveries: newest first per tenant (cursor on created_at, guid), by
-- state (and the count of uncertain sends), by provider message id or externalCode.
CREATE INDEX deliveries_by_tenant_created ON deliveries (tenant_id, created_at, guid);
CREATE INDEX deliveries_by_tenant_state ON deliveries (tenant_id, state, created_at, guid);
CREATE INDEX deliveries_by_tenant_message ON deliveries (tenant_id, provider_message_id);
CREATE INDEX deliveries_by_tenant_external ON deliveries (tenant_id, external_code);
-- Pending failed requests of one tenant.
CREATE INDEX failed_requests_by_tenant_state ON failed_requests (tenant_id, state);
