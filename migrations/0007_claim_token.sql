-- A claim recognises itself (docs/storage.md, "Claim tokens"): each request writes a random token with
-- its claim, so a retried claim whose first attempt committed (only D1's answer was lost) finds its own
-- token on the conflict and proceeds as claimed instead of reading as a duplicate. NULL on older rows.
ALTER TABLE webhook_events ADD COLUMN claim_token TEXT;
ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
