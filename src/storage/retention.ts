import { d1Call } from './d1-call'

/** The tables the cron purges by `created_at` (docs/storage.md). */
export const PURGED_TABLES = [
  'deliveries',
  'failed_requests',
  'webhook_events',
  'inbound_events',
  'bulk_jobs',
] as const
export type PurgedTable = (typeof PURGED_TABLES)[number]

const DAY_MS = 86_400_000
/** Rows deleted per statement, and statements per table per run: bounded work every minute. */
const CHUNK = 500
const MAX_CHUNKS = 10

export interface RetentionPolicy {
  /** `retention_days` of the global vars. */
  days: number
  /** Tenants whose own `retention_days` differs from the global one. */
  overrides: Map<string, number>
}

async function deleteChunks(db: D1Database, table: PurgedTable, sql: string, params: unknown[]) {
  let total = 0
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const result = await d1Call(`${table}.purge`, () =>
      db
        .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${sql} LIMIT ?)`)
        .bind(...params, CHUNK)
        .run(),
    )
    const changes = result.meta.changes
    total += changes
    if (changes < CHUNK) break
  }
  return total
}

/** The cron's purge of old rows, as a store of `Deps.stores`. */
export function createRetentionStore(db: D1Database) {
  return { purgeExpired: (now: number, policy: RetentionPolicy) => purgeExpired(db, now, policy) }
}

/**
 * Delete rows older than their tenant's `retention_days` (rows without a tenant, and tenants without
 * an override, use the global value). Returns the rows deleted per table. Throws `StorageError`.
 */
export async function purgeExpired(
  db: D1Database,
  now: number,
  policy: RetentionPolicy,
): Promise<Record<PurgedTable, number>> {
  const counts = { deliveries: 0, failed_requests: 0, webhook_events: 0, inbound_events: 0, bulk_jobs: 0 }
  const overridden = JSON.stringify([...policy.overrides.keys()])
  for (const table of PURGED_TABLES) {
    counts[table] += await deleteChunks(
      db,
      table,
      'created_at < ? AND (tenant_id IS NULL OR tenant_id NOT IN (SELECT value FROM json_each(?)))',
      [now - policy.days * DAY_MS, overridden],
    )
    for (const [tenantId, days] of policy.overrides) {
      counts[table] += await deleteChunks(db, table, 'tenant_id = ? AND created_at < ?', [
        tenantId,
        now - days * DAY_MS,
      ])
    }
  }
  return counts
}
