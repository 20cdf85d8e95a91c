-- Provider failover (docs/guarantees.md, "Failover"): every provider call of a routed send, in order,
-- as a JSON array of {provider, sender, outcome, at}. NULL for sends of tenants without `routes`.
-- `provider` and `sender` of a routed delivery name the route that sent it.
ALTER TABLE deliveries ADD COLUMN route_attempts TEXT;
