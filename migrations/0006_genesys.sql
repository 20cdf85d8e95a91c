-- Deliveries also come from Genesys (Open Messaging, Multicloud): where a row came from, and the
-- Genesys message id receipts are addressed to. CI360 rows keep source 'ci360' and a NULL id.
ALTER TABLE deliveries ADD COLUMN source TEXT NOT NULL DEFAULT 'ci360'; -- ci360 | genesys
ALTER TABLE deliveries ADD COLUMN genesys_message_id TEXT;
-- Genesys receipts must name the customer (channel.to.id): kept for Genesys rows only, purged with the row.
ALTER TABLE deliveries ADD COLUMN genesys_recipient TEXT;
