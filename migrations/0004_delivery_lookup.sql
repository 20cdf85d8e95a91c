-- Delivery semantics (docs/guarantees.md):
-- response_tracking_code: CI360's responseTrackingCode of the outbound event, sent back with every
--   provider status event so CI360 can attribute it to the contact and the task.
-- event_body: the CI360 event as received, kept while the send is unfinished so that a claim left in
--   `sending` (the Worker died mid-send) can be settled and re-sent by the cron; cleared once the
--   delivery reaches a final state.
-- outcome_unknown: 1 after a provider call whose outcome we could not see (timeout, connection cut
--   after the request was written): the provider is asked before anything is sent again.
ALTER TABLE deliveries ADD COLUMN response_tracking_code TEXT;
ALTER TABLE deliveries ADD COLUMN event_body TEXT;
ALTER TABLE deliveries ADD COLUMN outcome_unknown INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_by_state ON deliveries (state, updated_at);
