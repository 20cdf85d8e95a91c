import { d1Call } from './d1-call'
import type { DeliveryRow } from './deliveries'

export interface MessageQuery {
  limit: number
  state?: string
  provider?: string
  from?: number
  to?: number
  /** Exact guid, provider message id or externalCode. */
  q?: string
  /** The last row of the previous page. */
  before?: { createdAt: number; guid: string }
}

export type MessageRow = Omit<DeliveryRow, 'history'>

/** The operator console's message search over `deliveries`, as a store of `Deps.stores`. */
export function createMessageSearch(db: D1Database) {
  return { messages: (tenantId: string, q: MessageQuery) => searchMessages(db, tenantId, q) }
}

/**
 * Delivery records of one tenant, newest first (operator console's message search). Served by the
 * indexes listed in docs/storage.md: (tenant_id, created_at, guid), (tenant_id, state, created_at, guid), and
 * for `q` the primary key, (tenant_id, provider_message_id) and (tenant_id, external_code).
 */
export async function searchMessages(
  db: D1Database,
  tenantId: string,
  q: MessageQuery,
): Promise<MessageRow[]> {
  // With q, the tenant is in each lookup: the outer query then reads those rows only.
  const where = q.q ? [] : ['tenant_id = ?']
  const params: unknown[] = q.q ? [] : [tenantId]
  const filter = (sql: string, ...values: unknown[]) => {
    where.push(sql)
    params.push(...values)
  }
  // `+column` keeps SQLite from walking another index for these filters when q already names the rows.
  const col = (name: string) => (q.q ? `+${name}` : name)
  if (q.state) filter(`${col('state')} = ?`, q.state)
  if (q.provider) filter(`${col('provider')} = ?`, q.provider)
  if (q.from !== undefined) filter(`${col('created_at')} >= ?`, q.from)
  if (q.to !== undefined) filter(`${col('created_at')} < ?`, q.to)
  // One index lookup per meaning of q (a plain OR would walk all of the tenant's rows).
  if (q.q)
    filter(
      `rowid IN (SELECT rowid FROM deliveries WHERE tenant_id = ? AND guid = ?
         UNION ALL SELECT rowid FROM deliveries WHERE tenant_id = ? AND provider_message_id = ?
         UNION ALL SELECT rowid FROM deliveries WHERE tenant_id = ? AND external_code = ?)`,
      ...[tenantId, q.q, tenantId, q.q, tenantId, q.q],
    )
  if (q.before) filter('(created_at, guid) < (?, ?)', q.before.createdAt, q.before.guid)
  const r = await d1Call('deliveries.search', () =>
    db
      .prepare(
        `SELECT tenant_id, guid, provider, identity_id, external_code, recipient_masked, state, provider_message_id,
           provider_status, attempts, last_error, generated_timestamp, created_at, updated_at
         FROM deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, guid DESC LIMIT ?`,
      )
      .bind(...params, q.limit)
      .all<MessageRow>(),
  )
  return r.results
}
