import type { SuppressionChannel, SuppressionSource } from '../lib/vocabulary'
import { d1Call } from './d1-call'

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
  /** The last row of the previous page (newest first). */
  before?: { createdAt: number; address: string }
}

/** One change of the list, for the audit and the CI360 contact-preference upload. */
export interface SuppressionChange {
  id: number
  tenant_id: string
  address: string
  channel: SuppressionChannel
  sender: string
  action: 'add' | 'remove'
  source: SuppressionSource
  actor: string
  detail: string | null
  at: number
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
     * failure leaves the list as it was). Returns how many were new.
     */
    async addMany(tenantId: string, entries: SuppressionEntry[], actor: SuppressionActor, now: number) {
      if (entries.length === 0) return 0
      const stmts = entries.flatMap((e) => [
        insert(tenantId, e, now),
        audit(tenantId, e, 'add', actor, e.reason ?? null, now),
      ])
      const results = await d1Call('suppressions.addMany', () => db.batch(stmts))
      return results.filter((r, i) => i % 2 === 0 && r.meta.changes === 1).length
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
      opts: { channel?: SuppressionChannel; sources?: readonly SuppressionSource[] } = {},
    ): Promise<SuppressionRow[]> {
      const where = ['tenant_id = ?', 'address = ?']
      const params: unknown[] = [tenantId, address]
      if (opts.channel) {
        where.push('channel = ?')
        params.push(opts.channel)
      }
      if (opts.sources) {
        where.push(`source IN (${opts.sources.map(() => '?').join(', ') || "''"})`)
        params.push(...opts.sources)
      }
      const r = await d1Call('suppressions.remove', () =>
        db
          .prepare(`DELETE FROM suppressions WHERE ${where.join(' AND ')} RETURNING ${COLUMNS}`)
          .bind(...params)
          .all<SuppressionRow>(),
      )
      const removed = r.results
      if (removed.length > 0) {
        const rows = removed.map((row) =>
          db
            .prepare(
              `INSERT INTO suppression_changes (tenant_id, address, channel, sender, action, source, actor, detail, at)
               VALUES (?, ?, ?, ?, 'remove', ?, ?, NULL, ?)`,
            )
            .bind(tenantId, row.address, row.channel, row.sender, row.source, actor, now),
        )
        await d1Call('suppressions.auditRemove', () => db.batch(rows))
      }
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
        where.push('(created_at, address) < (?, ?)')
        params.push(q.before.createdAt, q.before.address)
      }
      const r = await d1Call('suppressions.list', () =>
        db
          .prepare(
            `SELECT ${COLUMNS} FROM suppressions WHERE ${where.join(' AND ')}
             ORDER BY created_at DESC, address DESC LIMIT ?`,
          )
          .bind(...params, q.limit)
          .all<SuppressionRow>(),
      )
      return r.results
    },

    /** Changes of one tenant's list (newest first): the audit. */
    async changes(tenantId: string, limit: number, address?: string): Promise<SuppressionChange[]> {
      const r = await d1Call('suppressions.changes', () =>
        db
          .prepare(
            `SELECT id, tenant_id, address, channel, sender, action, source, actor, detail, at FROM suppression_changes
             WHERE tenant_id = ?1 AND (?2 IS NULL OR address = ?2) ORDER BY id DESC LIMIT ?3`,
          )
          .bind(tenantId, address ?? null, limit)
          .all<SuppressionChange>(),
      )
      return r.results
    },

    /** Changes CI360 has not been sent yet (contact-preference upload), oldest first. */
    async pendingUpload(tenantId: string, limit: number): Promise<SuppressionChange[]> {
      const r = await d1Call('suppressions.pendingUpload', () =>
        db
          .prepare(
            `SELECT id, tenant_id, address, channel, sender, action, source, actor, detail, at FROM suppression_changes
             WHERE ci360_uploaded_at IS NULL AND tenant_id = ? ORDER BY id LIMIT ?`,
          )
          .bind(tenantId, limit)
          .all<SuppressionChange>(),
      )
      return r.results
    },

    /** Mark changes as sent to CI360 (up to and including `lastId`). */
    async markUploaded(tenantId: string, lastId: number, now: number): Promise<void> {
      await d1Call('suppressions.markUploaded', () =>
        db
          .prepare(
            `UPDATE suppression_changes SET ci360_uploaded_at = ?
             WHERE tenant_id = ? AND id <= ? AND ci360_uploaded_at IS NULL`,
          )
          .bind(now, tenantId, lastId)
          .run(),
      )
    },
  }
}

export type SuppressionStore = ReturnType<typeof createSuppressionStore>
