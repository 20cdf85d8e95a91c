import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
// The shard tests' further databases (vitest.config.ts); unused elsewhere.
const shards = env as unknown as Record<string, D1Database | undefined>
for (const name of ['DB_2', 'DB_3', 'DB_4']) {
  const db = shards[name]
  if (db) await applyD1Migrations(db, env.TEST_MIGRATIONS)
}
