import { d1Call } from './d1-call'

export interface StatsQuery {
  from: number
  to: number
  bucketMs: number
}

type Counts = Record<string, number>

export interface StatsBucket {
  at: string
  deliveries: Counts
  provider_statuses: Counts
  events: Counts
}

export interface Stats {
  buckets: StatsBucket[]
  pending: { failed_requests: number; uncertain: number }
}

interface Grouped {
  b: number
  k: string | null
  n: number
}

/** The operator console's dashboard counts, as a store of `Deps.stores`. */
export function createStatsReader(db: D1Database) {
  return { read: (tenantId: string, q: StatsQuery) => readStats(db, tenantId, q) }
}

/**
 * Dashboard counts of one tenant, in one D1 round trip: deliveries by state and by provider status
 * (by the time the send was received), webhook events by state, and what waits for an operator.
 * Every query is an index range (docs/storage.md lists which index serves which).
 */
export async function readStats(db: D1Database, tenantId: string, q: StatsQuery): Promise<Stats> {
  const group = (table: string, column: string) =>
    db
      .prepare(
        `SELECT CAST((created_at - ?) / ? AS INTEGER) AS b, ${column} AS k, count(*) AS n FROM ${table}
         WHERE tenant_id = ? AND created_at >= ? AND created_at < ? GROUP BY b, k`,
      )
      .bind(q.from, q.bucketMs, tenantId, q.from, q.to)
  const results = await d1Call('stats.read', () =>
    db.batch([
      group('deliveries', 'state'),
      group('deliveries', 'provider_status'),
      group('inbound_events', 'state'),
      db
        .prepare(
          `SELECT (SELECT count(*) FROM failed_requests WHERE tenant_id = ? AND state = 'pending') AS failed_requests,
             (SELECT count(*) FROM deliveries WHERE tenant_id = ? AND state = 'uncertain') AS uncertain`,
        )
        .bind(tenantId, tenantId),
    ]),
  )
  const count = Math.ceil((q.to - q.from) / q.bucketMs)
  const buckets: StatsBucket[] = Array.from({ length: count }, (_, i) => ({
    at: new Date(q.from + i * q.bucketMs).toISOString(),
    deliveries: {},
    provider_statuses: {},
    events: {},
  }))
  const fill = (result: D1Result | undefined, field: 'deliveries' | 'provider_statuses' | 'events') => {
    for (const row of (result?.results ?? []) as Grouped[]) {
      const bucket = buckets[row.b]
      if (bucket && row.k !== null) bucket[field][row.k] = (bucket[field][row.k] ?? 0) + row.n
    }
  }
  fill(results[0], 'deliveries')
  fill(results[1], 'provider_statuses')
  fill(results[2], 'events')
  const pending = (results[3]?.results?.[0] ?? {}) as Partial<Stats['pending']>
  return {
    buckets,
    pending: { failed_requests: pending.failed_requests ?? 0, uncertain: pending.uncertain ?? 0 },
  }
}
