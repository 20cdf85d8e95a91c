-- Deliveries also come from Genesys (Open Messaging, Multicloud): where a row came from, and the
-- Genesys message id its receipts name. CI360 rows keep source 'ci360' and NULLs.
ALTER TABLE deliveries ADD COLUMN source TEXT NOT NULL DEFAULT 'ci360'; -- ci360 | genesys
ALTER TABLE deliveries ADD COLUMN genesys_message_id TEXT;
-- Genesys receipts must name the customer (channel.to.id): kept for Genesys rows only, purged with the row.
ALTER TABLE deliveries ADD COLUMN genesys_recipient TEXT;
-- The Multicloud channel the message came in on (its receipts go back there); NULL for Open Messaging.
ALTER TABLE deliveries ADD COLUMN genesys_channel TEXT;
