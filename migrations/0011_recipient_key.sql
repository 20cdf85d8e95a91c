-- The recipient of a delivery as a keyed hash (docs/storage.md, "Recipient key"): never the number itself.
-- An inbound opt-out or opt-in finds the responseTrackingCode of the last message sent to its sender
-- through it (docs/compliance.md, "Keywords: STOP and START"). NULL for rows written before this migration,
-- stale events and addresses that are not phone numbers.
ALTER TABLE deliveries ADD COLUMN recipient_key TEXT;
CREATE INDEX deliveries_by_recipient_key ON deliveries (tenant_id, recipient_key, created_at);
