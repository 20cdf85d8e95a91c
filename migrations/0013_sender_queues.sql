-- The operator's queue of each sender (docs/console.md, "Senders"): the accepted rows of one tenant,
-- counted per provider and sender with the oldest one's time, read from this index alone.
CREATE INDEX deliveries_accepted_by_sender ON deliveries (tenant_id, provider, sender, created_at)
  WHERE state = 'accepted';
