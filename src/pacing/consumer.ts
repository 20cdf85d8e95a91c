import { type Deps, type RequestContext, withShard } from '../deps'
import { forEachLimit } from '../lib/each-limit'
import { describeError, type Logger } from '../lib/log'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { suppressionCheck } from '../outbound/suppression'
import { newClaimToken } from '../storage/d1-call'
import type { QueuedSend } from '../storage/queued-send'
import type { SuppressionRow } from '../storage/suppressions'
import { type Item, rebuild } from './queue-item'
import { settleOne } from './send-one'

/** Messages whose reserved time is at most this far ahead are sent by this invocation; the rest wait on the queue. */
export const HORIZON_MS = 15_000
/** Provider calls in flight at once per invocation (a Worker may hold six connections). */
const PARALLEL = 6

/**
 * The `SENDS` queue's consumer (docs/pacing.md): rebuild each message, ask each sender's pacer for a
 * time, take the ones due within `HORIZON_MS` in one D1 batch (with their opt-out checks), put the rest
 * back on the queue with their reservation, send each at its time, and record every outcome in one more
 * batch. Never throws for one message's sake: a message it cannot handle is logged and acknowledged
 * (the cron finds its `accepted` row) or retried.
 */
export async function consumeSends(deps: Deps, batch: MessageBatch<unknown>): Promise<void> {
  const log = deps.log.child({ queue: batch.queue })
  const ctx: RequestContext = { ...deps, log }
  const items: Item[] = []
  for (const msg of batch.messages) {
    const item = rebuild(ctx, msg)
    if (item) items.push(item)
    else msg.ack()
  }
  if (items.length === 0) return
  // One batch per database: each message's rows live in its guid's shard (docs/scaling.md).
  const groups = new Map<D1Database, Item[]>()
  for (const it of items) {
    const db = deps.shards.dbFor(it.send.guid)
    groups.set(db, [...(groups.get(db) ?? []), it])
  }
  await Promise.all(
    [...groups.values()].map((group) => {
      const first = group[0] as Item
      const on = withShard(deps, first.send.guid)
      return consumeItems(on, { ...on, log }, log, group)
    }),
  )
}

async function consumeItems(deps: Deps, ctx: RequestContext, log: Logger, items: Item[]): Promise<void> {
  try {
    await reserveTimes(ctx, items)
  } catch (e) {
    log.error('pacer unavailable; messages retried', describeError(e))
    for (const it of items) it.msg.retry({ delaySeconds: 5 })
    return
  }
  const now = deps.now()
  const ready = items.filter((it) => it.at <= now + HORIZON_MS)
  const later = items.filter((it) => it.at > now + HORIZON_MS)

  // One round trip: take the due rows (each with its opt-out check) and move the waiting rows' deadline.
  const token = newClaimToken()
  const deliveries = deps.stores.deliveries
  const statements: D1PreparedStatement[] = []
  const checkAt: (number | undefined)[] = []
  for (const it of ready) {
    statements.push(deliveries.takeAccepted(it.tenant.id, it.send.guid, token, now))
    const check = suppressionCheck(ctx, it.tenant.id, it.prepared.message)
    checkAt.push(check ? statements.length : undefined)
    if (check) statements.push(check)
  }
  for (const it of later)
    statements.push(deliveries.holdAccepted(it.tenant.id, it.send.guid, it.at + QUEUE_LOST_MS))
  let results: D1Result[]
  try {
    results = await deliveries.batch('sends.take', statements)
  } catch (e) {
    log.error('send queue batch not taken; retried', describeError(e))
    for (const it of items) it.msg.retry({ delaySeconds: 5 })
    return
  }

  await requeue(ctx, later)
  // The schedule slides by the time the batch took to be taken: the first send goes no earlier than
  // the pacer assumed it would, relative to the others.
  const slide = Math.max(0, deps.now() - now)
  for (const it of ready) it.at += slide

  const taken: { it: Item; blocked: SuppressionRow | null; lookFirst: boolean }[] = []
  let index = 0
  for (const [i, it] of ready.entries()) {
    const row = results[index]?.results[0] as { outcome_unknown?: number } | undefined
    const took = row !== undefined
    const at = checkAt[i]
    index += at === undefined ? 1 : 2
    if (!took) {
      // Sent, settled or taken already (a queue redelivery, or the cron's copy): nothing to do.
      log.info('queued send already handled', { guid: it.send.guid })
      it.msg.ack()
      continue
    }
    const blocked =
      at === undefined ? null : ((results[at]?.results[0] as SuppressionRow | undefined) ?? null)
    taken.push({ it, blocked, lookFirst: row.outcome_unknown === 1 })
  }

  const outcome: D1PreparedStatement[] = []
  const after: (() => Promise<unknown>)[] = []
  const slowed = new Set<string>()
  const lags = new Map<string, number>()
  // In time order, so a stall delays the rest of a sender's messages instead of sending them together.
  taken.sort((a, b) => a.it.at - b.it.at)
  await forEachLimit(taken, PARALLEL, async ({ it, blocked, lookFirst }) => {
    await settleOne(ctx, it, blocked, lookFirst, { outcome, after, slowed, lags })
  })
  if (outcome.length > 0) {
    try {
      await deliveries.exec('sends.record', outcome)
    } catch (e) {
      // The messages went out (or not) already: the rows stay `sending`, and the cron's look-up settles them.
      log.error('send outcomes not recorded', describeError(e))
    }
  }
  for (const it of taken) it.it.msg.ack()
  // CI360 events, the identity cache and re-queues: after the batch is acknowledged, so the next batch
  // need not wait for them (`waitUntil` when the queue handler gives one).
  const rest = Promise.all(
    after.map((f) => f().catch((e: unknown) => log.error('after-send step failed', describeError(e)))),
  )
  if (deps.waitUntil) deps.waitUntil(rest)
  else await rest
}

/** One pacer call per sender in the batch: a time for each message (now for an unpaced sender). */
async function reserveTimes(ctx: RequestContext, items: Item[]) {
  const now = ctx.now()
  const groups = new Map<string, Item[]>()
  for (const it of items) {
    if (!it.pace || !ctx.pacers) {
      it.at = now
      continue
    }
    groups.set(it.pacer, [...(groups.get(it.pacer) ?? []), it])
  }
  await Promise.all(
    [...groups].map(async ([name, group]) => {
      const stub = ctx.pacers?.get(ctx.pacers.idFromName(name))
      const pace = group[0]?.pace
      if (!stub || !pace) return
      const r = await stub.reserve(
        pace,
        group.map((it) => ({
          segments: it.prepared.segments,
          ...(it.send.slot ? { slot: it.send.slot } : {}),
        })),
        now,
      )
      group.forEach((it, i) => {
        it.at = r.at[i] ?? now
        it.epoch = r.epoch
      })
    }),
  )
}

/** Messages reserved beyond the horizon go back on the queue, delayed to their time and carrying it. */
async function requeue(ctx: RequestContext, later: Item[]) {
  if (later.length === 0) return
  const now = ctx.now()
  const sends = later.map((it) => ({
    body: { ...it.send, slot: { at: it.at, epoch: it.epoch } } satisfies QueuedSend,
    contentType: 'json' as const,
    // Back a little before its time: the consumer then waits the rest.
    delaySeconds: Math.min(43_200, Math.max(0, Math.floor((it.at - now - HORIZON_MS / 2) / 1000))),
  }))
  try {
    for (let i = 0; i < sends.length; i += 100) await ctx.sends?.sendBatch(sends.slice(i, i + 100))
    for (const it of later) it.msg.ack()
  } catch (e) {
    ctx.log.error('waiting sends not re-queued; retried', describeError(e))
    for (const it of later) it.msg.retry({ delaySeconds: 5 })
  }
}
