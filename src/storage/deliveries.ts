import { StorageError } from '../lib/app-error'
import type { DeliverySource, DeliveryState, ProviderId } from '../lib/vocabulary'
import { newClaimToken, d1Call as run, type SqlCondition } from './d1-call'
import type { ClaimResult, DeliveryRow, HistoryEntry, NewDelivery, RouteAttempt } from './delivery-row'
import { entry } from './history-entry'
import { pacedDeliveries } from './paced-deliveries'
import { batchAcross, isHomeStatement, logicalShardOf, ownsShardSql } from './shards'
import { storedList } from './stored-list'

export type { ClaimResult, DeliveryRow, HistoryEntry, NewDelivery, RouteAttempt } from './delivery-row'
export type { DeliveryState }

/** States after which nothing is sent again: the stored event body is no longer needed. */
const FINAL_STATES = `('sent', 'rejected', 'stale', 'expired', 'dead', 'suppressed')`

/**
 * D1 access for the `deliveries` table. Every method throws `StorageError` when D1 fails. `home`: the
 * default database (`DB`); when `db` is another one (a shard, docs/scaling.md), statements of home-only
 * tables in a batch run on `home`.
 */
export function createDeliveryStore(db: D1Database, home: D1Database = db) {
  const owns = ownsShardSql(db === home)
  const get = (tenantId: string, guid: string) =>
    run('deliveries.get', () =>
      db
        .prepare('SELECT * FROM deliveries WHERE tenant_id = ? AND guid = ?')
        .bind(tenantId, guid)
        .first<DeliveryRow>(),
    )

  const lastToRecipientRow = (tenantId: string, recipientKey: string) =>
    run('deliveries.lastToRecipient', () =>
      db
        .prepare(
          `SELECT response_tracking_code, created_at FROM deliveries
           WHERE tenant_id = ? AND recipient_key = ? AND state IN ('sent', 'uncertain')
           ORDER BY created_at DESC LIMIT 1`,
        )
        .bind(tenantId, recipientKey)
        .first<{ response_tracking_code: string | null; created_at: number }>(),
    )

  return {
    get,

    /** The Multicloud channel (null: Open Messaging) of the newest Genesys delivery to one of `to`. */
    lastGenesysChannel: (tenantId: string, to: string[]) =>
      run('deliveries.last_genesys', () =>
        db
          .prepare(
            `SELECT genesys_channel, created_at FROM deliveries
             WHERE tenant_id = ? AND genesys_recipient IN (${to.map(() => '?').join(',')})
             ORDER BY created_at DESC LIMIT 1`,
          )
          .bind(tenantId, ...to)
          .first<{ genesys_channel: string | null; created_at: number }>(),
      ),

    /**
     * The responseTrackingCode of the newest message sent (state `sent` or `uncertain`) to the recipient
     * whose `recipient-key.ts` key is `recipientKey`; null when there is none or it had no code.
     */
    lastToRecipient: async (tenantId: string, recipientKey: string): Promise<string | null> =>
      (await lastToRecipientRow(tenantId, recipientKey))?.response_tracking_code ?? null,

    /** `lastToRecipient`'s row, with its `created_at` (the newest over several databases wins). */
    lastToRecipientRow: (tenantId: string, recipientKey: string) =>
      lastToRecipientRow(tenantId, recipientKey),

    /**
     * Insert the row for a new guid; when it exists already, return it. A row stuck in `sending` for
     * longer than `leaseMs` (the Worker died mid-send) is taken over so the event is not lost. The claim
     * and the takeover write a random token; a retried statement whose first attempt committed (only
     * D1's answer was lost) finds its own token and still counts as claimed (docs/storage.md, "Claim
     * tokens"), in the same statement. `readWith`: a read that rides in the claim's batch (the opt-out
     * check, docs/compliance.md), so it costs no round trip of its own; its first row is `read`.
     */
    async claim<R = never>(
      d: NewDelivery,
      leaseMs: number,
      readWith?: D1PreparedStatement,
    ): Promise<ClaimResult<R>> {
      const token = newClaimToken()
      const insert = () =>
        db
          .prepare(
            `INSERT INTO deliveries (tenant_id, guid, provider, identity_id, external_code, recipient_masked, state,
               generated_timestamp, history, created_at, updated_at, response_tracking_code, event_body, source,
               genesys_message_id, genesys_recipient, genesys_channel, claim_token, recipient_key,
               sender, segments, queued_until)
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, json_array(json(?)), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
             WHERE ${owns}
             ON CONFLICT (tenant_id, guid) DO UPDATE SET claim_token = excluded.claim_token
               WHERE deliveries.claim_token = excluded.claim_token`,
          )
          .bind(
            d.tenantId,
            d.guid,
            d.provider,
            d.identityId,
            d.externalCode,
            d.recipientMasked,
            d.state,
            d.generatedTimestamp,
            entry(d.state, d.now, d.detail),
            d.now,
            d.now,
            d.responseTrackingCode ?? null,
            d.state === 'stale' ? null : (d.eventBody ?? null),
            d.genesys ? 'genesys' : 'ci360',
            d.genesys?.id ?? null,
            d.genesys?.to ?? null,
            d.genesys?.channel ?? null,
            token,
            d.recipientKey ?? null,
            d.paced?.sender ?? null,
            d.paced?.segments ?? null,
            d.paced?.queuedUntil ?? null,
            logicalShardOf(d.guid),
          )
      // A read of a home-only table cannot ride in a shard's batch: it runs on `home` alongside.
      const apart = readWith !== undefined && db !== home && isHomeStatement(readWith)
      const [inserted, readResult] = await run('deliveries.claim', () =>
        readWith && !apart
          ? db.batch([insert(), readWith])
          : Promise.all([insert().run(), readWith?.all()]).then(([claimed, read]): D1Result[] =>
              read ? [claimed, read] : [claimed],
            ),
      )
      const read = readWith ? { read: (readResult?.results[0] as R | undefined) ?? null } : {}
      if (inserted?.meta.changes === 1) return { claimed: true, ...read }
      const takeover = await run('deliveries.takeover', () =>
        db
          .prepare(
            `UPDATE deliveries SET updated_at = ?1, claim_token = ?6,
               history = CASE WHEN claim_token IS ?6 THEN history ELSE json_insert(history, '$[#]', json(?2)) END
             WHERE tenant_id = ?3 AND guid = ?4 AND state = 'sending' AND (updated_at < ?5 OR claim_token IS ?6)`,
          )
          .bind(
            d.now,
            entry('sending', d.now, 'previous attempt abandoned'),
            d.tenantId,
            d.guid,
            d.now - leaseMs,
            token,
          )
          .run(),
      )
      if (takeover.meta.changes === 1) return { claimed: true, takeover: true, ...read }
      const existing = await get(d.tenantId, d.guid)
      if (!existing) {
        // Nothing inserted and no row: this database does not own the guid's shard (docs/scaling.md).
        const owned = await run('deliveries.shardOwner', () =>
          db.prepare(`SELECT ${owns} AS owned`).bind(logicalShardOf(d.guid)).first<{ owned: number }>(),
        )
        if (!owned?.owned) throw new StorageError('deliveries.claim', new Error('shard not owned here'))
        return this.claim(d, leaseMs, readWith)
      }
      return { claimed: false, existing }
    },

    /** Drop a claim that never reached the provider (or the send queue), so a redelivery can try again. */
    release: (tenantId: string, guid: string) =>
      run('deliveries.release', () =>
        db
          .prepare(
            `DELETE FROM deliveries WHERE tenant_id = ? AND guid = ? AND state IN ('sending', 'accepted')`,
          )
          .bind(tenantId, guid)
          .run(),
      ),

    /** A statement that moves the row to `state`, counting a provider call when `attempted`. */
    transition(
      tenantId: string,
      guid: string,
      change: {
        state: DeliveryState
        now: number
        attempted: boolean
        messageId?: string | null
        lastError?: string | null
        detail?: string
        /** True after a call whose outcome is unknown, false after a look-up settled it; undefined keeps it. */
        outcomeUnknown?: boolean
        /** A routed send (docs/guarantees.md): the route that sent it, and the calls to append. */
        route?: { provider: ProviderId; sender: string }
        routeAttempts?: RouteAttempt[]
        /** An `accepted` row (docs/pacing.md): when the cron takes its queue message for lost. */
        queuedUntil?: number
      },
      /** A further condition (a webhook's claim in the same batch, as `providerStatus` takes). */
      onlyIf?: SqlCondition,
    ): D1PreparedStatement {
      return db
        .prepare(
          `UPDATE deliveries SET state = ?1, provider_message_id = COALESCE(?2, provider_message_id),
             attempts = attempts + ?3, last_error = ?4, updated_at = ?5,
             history = json_insert(history, '$[#]', json(?6)),
             outcome_unknown = COALESCE(?9, outcome_unknown),
             event_body = CASE WHEN ?1 IN ${FINAL_STATES} AND NOT (?1 = 'sent' AND segments IS NOT NULL)
               THEN NULL ELSE event_body END,
             provider = COALESCE(?10, provider), sender = COALESCE(?11, sender),
             route_attempts = CASE WHEN ?12 IS NULL THEN route_attempts ELSE (
               SELECT json_group_array(json(value)) FROM (
                 SELECT value FROM json_each(COALESCE(route_attempts, '[]'))
                 UNION ALL SELECT value FROM json_each(?12))) END,
             queued_until = COALESCE(?13, queued_until)
           WHERE tenant_id = ?7 AND guid = ?8${onlyIf ? ` AND ${onlyIf.sql}` : ''}`,
        )
        .bind(
          change.state,
          change.messageId ?? null,
          change.attempted ? 1 : 0,
          change.lastError ?? null,
          change.now,
          entry(change.state, change.now, change.detail),
          tenantId,
          guid,
          change.outcomeUnknown === undefined ? null : change.outcomeUnknown ? 1 : 0,
          change.route?.provider ?? null,
          change.route?.sender ?? null,
          change.routeAttempts && change.routeAttempts.length > 0
            ? JSON.stringify(change.routeAttempts)
            : null,
          change.queuedUntil ?? null,
          ...(onlyIf?.params ?? []),
        )
    },

    /**
     * Record a status a provider webhook reported (kept apart from our own `state`). A late status
     * (`apply` false: it arrived after a final one) goes to the history only. `onlyIf`: a further
     * condition (a webhook's claim in the same batch, `inbound-events.ts` `claimedBy`).
     */
    providerStatus(
      tenantId: string,
      guid: string,
      status: string,
      now: number,
      detail?: string,
      apply = true,
      onlyIf?: SqlCondition,
    ) {
      return db
        .prepare(
          `UPDATE deliveries SET provider_status = CASE WHEN ? THEN ? ELSE provider_status END, updated_at = ?,
             history = json_insert(history, '$[#]', json(?))
           WHERE tenant_id = ? AND guid = ?${onlyIf ? ` AND ${onlyIf.sql}` : ''}`,
        )
        .bind(
          apply ? 1 : 0,
          status,
          now,
          entry(status, now, detail),
          tenantId,
          guid,
          ...(onlyIf?.params ?? []),
        )
    },

    ...pacedDeliveries(db),

    /** The statements of a batch as one round trip, with each statement's rows. */
    batch: (operation: string, statements: D1PreparedStatement[]) =>
      run(operation, () => batchAcross(db, home, statements)),

    findByProviderMessageId: (provider: ProviderId, messageId: string) =>
      run('deliveries.findByProviderMessageId', () =>
        db
          .prepare('SELECT * FROM deliveries WHERE provider = ? AND provider_message_id = ? LIMIT 1')
          .bind(provider, messageId)
          .first<DeliveryRow>(),
      ),

    /** Run statements as one transaction. */
    exec: (operation: string, statements: D1PreparedStatement[]) =>
      run(operation, async () => {
        await batchAcross(db, home, statements)
      }),
  }
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>

export const parseHistory = (row: DeliveryRow): HistoryEntry[] => storedList<HistoryEntry>(row.history)
