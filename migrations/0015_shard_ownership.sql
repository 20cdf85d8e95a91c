-- Which logical shards (0-63, docs/scaling.md "Shards") this database may claim new keys for.
-- Empty on the default database `DB`: it owns every shard, so a deployment with one database works as
-- before. Any other database owns only the shards listed here; the claims check it in their statement.
CREATE TABLE IF NOT EXISTS shard_owner (
  logical INTEGER PRIMARY KEY
);
