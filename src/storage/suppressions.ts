import {
  LIFTABLE_SUPPRESSION_SOURCES,
  type SuppressionChannel,
  type SuppressionSource,
} from '../lib/vocabulary'
import { d1Call } from './d1-call'
import { createSuppressionChangeReader } from './suppression-changes'

export type { SuppressionChange } from './suppression-changes'

/** One opt-out entry (`suppressions`, docs/storage.md). `sender` '' covers every sender of the tenant. */
export interface SuppressionRow {
  tenant_id: string
  address: string
  channel: SuppressionChannel
  sender: string
  source: SuppressionSource
  keyword: string | null
  reason: string | null
  evidence: string | null
  created_at: number
}

/** What a caller adds: the row without its tenant and time, which `add` and `addMany` take apart. */
export type SuppressionEntry = Pick<SuppressionRow, 'address' | 'channel' | 'source'> &
  Partial<Pick<SuppressionRow, 'sender' | 'keyword' | 'reason' | 'evidence'>>

/** Who made a change, as the audit shows it: `key:<digest prefix>` for an admin key, else the source. */
export type SuppressionActor = string

export interface SuppressionQuery {
  limit: number
  address?: string
  source?: SuppressionSource
  /** The last row of the previous page (newest first): its whole key, as rows of one time share it. */
  before?: { createdAt: number; address: string; channel: SuppressionChannel; sender: string }
}

const COLUMNS = 'tenant_id, address, channel, sender, source, keyword, reason, evidence, created_at'

/**
 * The per-tenant opt-out list (docs/compliance.md). Every change writes a `suppression_changes` row in the
 * same batch, so the audit and the list never disagree. Methods throw `StorageError` when D1 fails.
 */
export function createSuppressionStore(db: D1Database) {
  const insert = (tenantId: string, e: SuppressionEntry, now: number) =>
    db
      .prepare(
        `INSERT INTO suppressions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, address, channel, sender) DO NOTHING`,
      )
      .bind(
        tenantId,
        e.address,
        e.channel,
        e.sender ?? '',
        e.source,
        e.keyword ?? null,
        e.reason ?? null,
        e.evidence ?? null,
        now,
      )
  // The change row is written only when the insert above took (changes() reads the previous statement).
  const audit = (
    tenantId: string,
    e: Pick<SuppressionEntry, 'address' | 'channel' | 'sender' | 'source'>,
    action: 'add' | 'remove',
    actor: SuppressionActor,
    detail: string | null,
    now: number,
  ) =>
    db
      .prepare(
        `INSERT INTO suppression_changes (tenant_id, address, channel, sender, action, source, actor, detail, at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`,
      )
      .bind(tenantId, e.address, e.channel, e.sender ?? '', action, e.source, actor, detail, now)

  // An operator's or an import's entry replacing one START may lift (docs/compliance.md, "The operator's
  // list"): the entry keeps its time, keyword and evidence; only its source (and a given reason) change.
  const hold = (tenantId: string, e: SuppressionEntry) =>
    db
      .prepare(
        `UPDATE suppressions SET source = ?, reason = COALESCE(?, reason)
         WHERE tenant_id = ? AND address = ? AND channel = ? AND sender = ?
           AND source IN (${LIFTABLE_SUPPRESSION_SOURCES.map(() => '?').join(', ')})`,
      )
      .bind(
        e.source,
        e.reason ?? null,
        tenantId,
        e.address,
        e.channel,
        e.sender ?? '',
        ...LIFTABLE_SUPPRESSION_SOURCES,
      )

  const blockingStatement = (
    tenantId: string,
    address: string,
    channel: SuppressionChannel,
    sender: string | undefined,
  ) =>
    db
      .prepare(
        `SELECT ${COLUMNS} FROM suppressions WHERE tenant_id = ? AND address = ? AND channel = ?
           AND sender IN ('', ?) ORDER BY sender LIMIT 1`,
      )
      .bind(tenantId, address, channel, sender ?? '')

  return {
    /**
     * The statement that finds an entry blocking a send from `sender` to `address` on `channel`: a
     * tenant-wide entry or one for that sender. Meant to ride in the claim's batch (no round trip of its
     * own); read its first row with `blockingOf`.
     */
    blockingStatement,

    /** The entry blocking a send, on its own round trip (retries, replays, Genesys). */
    async blocking(
      tenantId: string,
      address: string,
      channel: SuppressionChannel,
      sender: string | undefined,
    ): Promise<SuppressionRow | null> {
      const stmt = blockingStatement(tenantId, address, channel, sender)
      return d1Call('suppressions.blocking', () => stmt.first<SuppressionRow>())
    },

    /**
     * The statements that add one entry and its audit row, to ride in another batch (a provider's
     * opt-out answer is stored with the delivery's outcome); `add` runs the same on their own.
     */
    addStatements: (tenantId: string, e: SuppressionEntry, actor: SuppressionActor, now: number) => [
      insert(tenantId, e, now),
      audit(tenantId, e, 'add', actor, e.reason ?? e.keyword ?? null, now),
    ],

    /** Add one entry; false when the same (address, channel, sender) was already listed. */
    async add(tenantId: string, e: SuppressionEntry, actor: SuppressionActor, now: number): Promise<boolean> {
      const [r] = await d1Call('suppressions.add', () =>
        db.batch([
          insert(tenantId, e, now),
          audit(tenantId, e, 'add', actor, e.reason ?? e.keyword ?? null, now),
        ]),
      )
      return r?.meta.changes === 1
    },

    /**
     * Add many entries in one transaction (a CSV import): either all are written or none (a storage
     * failure leaves the list as it was). Returns how many were new. With `hold` (an operator's or an
     * import's entries), an entry already listed by a keyword or a provider takes the new source, so
     * START no longer lifts it (audited as an add; not counted as new).
     */
    async addMany(
      tenantId: string,
      entries: SuppressionEntry[],
      actor: SuppressionActor,
      now: number,
      opts: { hold?: boolean } = {},
    ) {
      if (entries.length === 0) return 0
      const stmts = entries.flatMap((e) => [
        insert(tenantId, e, now),
        audit(tenantId, e, 'add', actor, e.reason ?? null, now),
        ...(opts.hold ? [hold(tenantId, e), audit(tenantId, e, 'add', actor, e.reason ?? null, now)] : []),
      ])
      const stride = opts.hold ? 4 : 2
      const results = await d1Call('suppressions.addMany', () => db.batch(stmts))
      return results.filter((r, i) => i % stride === 0 && r.meta.changes === 1).length
    },

    /**
     * Remove the entries of `address` (all channels and senders unless narrowed) whose source is in
     * `sources` (all sources when absent). Returns the removed rows; each is audited.
     */
    async remove(
      tenantId: string,
      address: string,
      actor: SuppressionActor,
      now: number,
      opts: {
        channel?: SuppressionChannel
        sources?: readonly SuppressionSource[]
        /** Only entries of these sender scopes ('' is the tenant-wide one); all when absent. */
        senders?: readonly string[]
      } = {},
    ): Promise<SuppressionRow[]> {
      const where = ['tenant_id = ?', 'address = ?']
      const params: unknown[] = [tenantId, address]
      if (opts.channel) {
        where.push('channel = ?')
        params.push(opts.channel)
      }
      if (opts.senders) {
        where.push(`sender IN (${opts.senders.map(() => '?').join(', ') || "''"})`)
        params.push(...opts.senders)
      }
      if (opts.sources) {
        where.push(`source IN (${opts.sources.map(() => '?').join(', ') || "''"})`)
        params.push(...opts.sources)
      }
      // The audit rows and the delete in one batch (one transaction, one round trip): never one without the other.
      const audit = db
        .prepare(
          `INSERT INTO suppression_changes (tenant_id, address, channel, sender, action, source, actor, detail, at)
           SELECT tenant_id, address, channel, sender, 'remove', source, ?, NULL, ? FROM suppressions
           WHERE ${where.join(' AND ')}`,
        )
        .bind(actor, now, ...params)
      const remove = db
        .prepare(`DELETE FROM suppressions WHERE ${where.join(' AND ')} RETURNING ${COLUMNS}`)
        .bind(...params)
      const [, deleted] = await d1Call('suppressions.remove', () => db.batch<SuppressionRow>([audit, remove]))
      const removed = deleted?.results ?? []
      return removed
    },

    /** One tenant's entries, newest first, filtered by exact address and/or source. */
    async list(tenantId: string, q: SuppressionQuery): Promise<SuppressionRow[]> {
      const where = ['tenant_id = ?']
      const params: unknown[] = [tenantId]
      if (q.address) {
        where.push('address = ?')
        params.push(q.address)
      }
      if (q.source) {
        where.push('source = ?')
        params.push(q.source)
      }
      if (q.before) {
        // The first term lets the (tenant_id, created_at) index bound the scan.
        where.push('created_at <= ? AND (created_at, address, channel, sender) < (?, ?, ?, ?)')
        params.push(
          q.before.createdAt,
          q.before.createdAt,
          q.before.address,
          q.before.channel,
          q.before.sender,
        )
      }
      const r = await d1Call('suppressions.list', () =>
        db
          .prepare(
            `SELECT ${COLUMNS} FROM suppressions WHERE ${where.join(' AND ')}
             ORDER BY created_at DESC, address DESC, channel DESC, sender DESC LIMIT ?`,
          )
          .bind(...params, q.limit)
          .all<SuppressionRow>(),
      )
      return r.results
    },

    ...createSuppressionChangeReader(db),
  }
}

export type SuppressionStore = ReturnType<typeof createSuppressionStore>
