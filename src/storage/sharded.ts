import { createDeliveryStore, type DeliveryRow } from './deliveries'
import { createLeaseStore } from './failed-request-leases'
import { createFailedRequestStore, type FailedRequestRow } from './failed-requests'
import { createInboundEventStore } from './inbound-events'
import { createMessageSearch, type MessageRow } from './message-search'
import { createProviderHealthReader, type ProviderHealthRow } from './provider-health'
import { createRetentionStore, PURGED_TABLES } from './retention'
import { createSenderQueueReader, type SenderQueue } from './sender-queues'
import { byDescending, mergeHealth, newest, sumStats } from './shard-merge'
import { mergePages, type ShardPlace, type ShardRouter } from './shards'
import { createStatsReader, type Stats } from './stats'
import { createStuckClaimStore, type StuckClaim } from './stuck-claims'
import { createWebhookEventStore } from './webhook-events'

/**
 * The hot tables' stores over shards (docs/scaling.md, "Shards"). `hotStoresOn` binds every keyed method
 * to one database (the key's); the readers across rows (search, stats, lists, the cron's scans) ask every
 * database and merge, and rows they return remember their database (`ShardRouter.originOf`).
 */

/** The first non-null answer of `ask` over every database (a row found by an id that is not its key). */
async function firstFound<T extends object>(
  router: ShardRouter,
  ask: (place: ShardPlace) => Promise<T | null>,
): Promise<T | null> {
  const answers = await Promise.all(router.all().map(async (p) => ({ p, row: await ask(p) })))
  for (const { p, row } of answers) if (row) return router.tagOrigin([row], p.db)[0] ?? null
  return null
}

/** Every database's own stores, built once per router. */
const stores = new WeakMap<ShardRouter, { p: ShardPlace; s: HotStores }[]>()
const eachOf = (router: ShardRouter) => {
  let each = stores.get(router)
  if (!each) {
    each = router.all().map((p) => ({ p, s: hotStoresOn(p, router.home) }))
    stores.set(router, each)
  }
  return each
}

/** Where the next retry scan starts, per router: one database further on each call. */
const turns = {
  at: new WeakMap<ShardRouter, number>(),
  next(router: ShardRouter): number {
    const n = this.at.get(router) ?? 0
    this.at.set(router, n + 1)
    return n
  },
}

/** The stores of one database, every key-addressed method on it. `shardKey`: the key the request routed by. */
export function hotStoresOn(place: ShardPlace, home: D1Database, shardKey?: string) {
  const { db } = place
  return {
    deliveries: createDeliveryStore(db, home),
    failedRequests: createFailedRequestStore(db),
    leases: createLeaseStore(db),
    webhookEvents: createWebhookEventStore(db, home, shardKey),
    inboundEvents: createInboundEventStore(db, home),
    stuckClaims: createStuckClaimStore(db),
  }
}

export type HotStores = ReturnType<typeof hotStoresOn>

/**
 * The stores of a request routed to `place`: keyed methods on `place`, readers across rows on every
 * database. With one database both are the same queries as before sharding.
 */
export function shardedStores(router: ShardRouter, place: ShardPlace, shardKey?: string) {
  const on = hotStoresOn(place, router.home, shardKey)
  if (router.count === 1) {
    return {
      ...on,
      search: createMessageSearch(place.db),
      stats: createStatsReader(place.db),
      retention: createRetentionStore(place.db),
      senderQueues: createSenderQueueReader(place.db),
      providerHealth: createProviderHealthReader(place.db),
    }
  }
  const each = eachOf(router)
  const tag = <T extends object>(rows: T[], p: ShardPlace) => router.tagOrigin(rows, p.db)
  return {
    deliveries: {
      ...on.deliveries,
      findByProviderMessageId: (provider: DeliveryRow['provider'], messageId: string) =>
        firstFound(router, (p) =>
          createDeliveryStore(p.db, router.home).findByProviderMessageId(provider, messageId),
        ),
      /** The newest over every database (the recipient's messages are spread by guid). */
      lastGenesysChannel: async (tenantId: string, to: string[]) =>
        newest(await Promise.all(each.map(({ s }) => s.deliveries.lastGenesysChannel(tenantId, to)))),
      lastToRecipient: async (tenantId: string, recipientKey: string) =>
        newest(
          await Promise.all(each.map(({ s }) => s.deliveries.lastToRecipientRow(tenantId, recipientKey))),
        )?.response_tracking_code ?? null,
      /** Per provider, summed over every database (the breaker's slow-delivery reading). */
      receiptLag: async (tenantId: string, from: number, to: number) => {
        const sum = new Map<
          DeliveryRow['provider'],
          { provider: DeliveryRow['provider']; sent: number; no_receipt: number }
        >()
        for (const rows of await Promise.all(
          each.map(({ s }) => s.deliveries.receiptLag(tenantId, from, to)),
        )) {
          for (const r of rows) {
            const into = sum.get(r.provider) ?? { provider: r.provider, sent: 0, no_receipt: 0 }
            into.sent += r.sent
            into.no_receipt += r.no_receipt
            sum.set(r.provider, into)
          }
        }
        return [...sum.values()]
      },
      lostAccepted: async (now: number, limit: number) => {
        const pages = await Promise.all(
          each.map(async ({ p, s }) => tag(await s.deliveries.lostAccepted(now, limit), p)),
        )
        return pages.flat().slice(0, limit)
      },
    },
    failedRequests: {
      ...on.failedRequests,
      get: (tenantId: string, id: string) =>
        firstFound(router, (p) => createFailedRequestStore(p.db).get(tenantId, id)),
      remove: (tenantId: string, id: string, now: number) =>
        firstFound(router, (p) => createFailedRequestStore(p.db).remove(tenantId, id, now)),
      list: async (tenantId: string, q: Parameters<typeof on.failedRequests.list>[1]) =>
        mergePages(
          await Promise.all(each.map(({ s }) => s.failedRequests.list(tenantId, q))),
          byDescending((r) => r.id),
          q.limit,
        ),
    },
    leases: {
      ...on.leases,
      /**
       * Database after database until `limit` rows are leased, starting one further along on each call
       * so no database waits behind a busy one (docs/scaling.md, "Cron and console per shard").
       */
      claimDue: async (
        now: number,
        leaseMs: number,
        token: string,
        limit: number,
      ): Promise<FailedRequestRow[]> => {
        const rows: FailedRequestRow[] = []
        const start = turns.next(router) % each.length
        for (let i = 0; i < each.length && rows.length < limit; i++) {
          const { p, s } = each[(start + i) % each.length] as (typeof each)[number]
          rows.push(...tag(await s.leases.claimDue(now, leaseMs, token, limit - rows.length), p))
        }
        return rows.sort(
          (a, b) => (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0) || (a.id < b.id ? -1 : 1),
        )
      },
      claimOne: (tenantId: string, id: string, now: number, leaseMs: number, token: string) =>
        firstFound(router, (p) => createLeaseStore(p.db).claimOne(tenantId, id, now, leaseMs, token)),
    },
    webhookEvents: on.webhookEvents,
    inboundEvents: {
      ...on.inboundEvents,
      get: (tenantId: string, id: string) =>
        firstFound(router, (p) => createInboundEventStore(p.db, router.home).get(tenantId, id)),
      list: async (tenantId: string, q: Parameters<typeof on.inboundEvents.list>[1]) =>
        mergePages(
          await Promise.all(each.map(({ s }) => s.inboundEvents.list(tenantId, q))),
          byDescending((r) => r.id),
          q.limit,
        ),
      markHandled: async (tenantId: string, id: string, now: number) =>
        (await Promise.all(each.map(({ s }) => s.inboundEvents.markHandled(tenantId, id, now)))).some(
          Boolean,
        ),
    },
    stuckClaims: {
      candidates: async (before: number, limit: number): Promise<StuckClaim[]> => {
        const pages = await Promise.all(
          each.map(async ({ p, s }) => tag(await s.stuckClaims.candidates(before, limit), p)),
        )
        return pages
          .flat()
          .sort((a, b) => a.updated_at - b.updated_at)
          .slice(0, limit)
      },
      markUncertain: (c: StuckClaim, cutoff: number, now: number, meta: Record<string, unknown>) =>
        createStuckClaimStore(router.originOf(c) ?? router.dbFor(c.guid)).markUncertain(c, cutoff, now, meta),
    },
    search: {
      messages: async (
        tenantId: string,
        q: Parameters<ReturnType<typeof createMessageSearch>['messages']>[1],
      ) =>
        mergePages<MessageRow>(
          await Promise.all(each.map(({ p }) => createMessageSearch(p.db).messages(tenantId, q))),
          byDescending(
            (r) => r.created_at,
            (r) => r.guid,
          ),
          q.limit,
        ),
    },
    stats: {
      read: async (tenantId: string, q: Parameters<ReturnType<typeof createStatsReader>['read']>[1]) =>
        sumStats(await Promise.all(each.map(({ p }) => createStatsReader(p.db).read(tenantId, q)))),
    },
    retention: {
      purgeExpired: async (
        now: number,
        policy: Parameters<ReturnType<typeof createRetentionStore>['purgeExpired']>[1],
      ) => {
        const counts = await Promise.all(
          each.map(({ p }) => createRetentionStore(p.db).purgeExpired(now, policy)),
        )
        const total = {
          deliveries: 0,
          failed_requests: 0,
          webhook_events: 0,
          inbound_events: 0,
          bulk_jobs: 0,
        }
        for (const c of counts) for (const t of PURGED_TABLES) total[t] += c[t]
        return total
      },
    },
    providerHealth: {
      /**
       * Counts summed over every database; the median is the databases' medians weighted by their
       * receipts (exact with one database, close with many: docs/console.md).
       */
      summary: async (
        tenantId: string,
        from: number,
        to: number,
        now: number,
      ): Promise<ProviderHealthRow[]> =>
        mergeHealth(
          await Promise.all(
            each.map(({ p }) => createProviderHealthReader(p.db).summary(tenantId, from, to, now)),
          ),
        ),
    },
    senderQueues: {
      list: async (tenantId: string): Promise<SenderQueue[]> => {
        const merged = new Map<string, SenderQueue>()
        for (const page of await Promise.all(
          each.map(({ p }) => createSenderQueueReader(p.db).list(tenantId)),
        )) {
          for (const q of page) {
            const key = `${q.provider}\u0000${q.sender ?? ''}`
            const seen = merged.get(key)
            if (!seen) merged.set(key, { ...q })
            else {
              seen.queued += q.queued
              seen.oldestAt = Math.min(seen.oldestAt, q.oldestAt)
            }
          }
        }
        return [...merged.values()]
      },
    },
  }
}
