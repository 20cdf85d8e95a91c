import type { Ci360Event } from '../ci360/client'
import type { OutboundEvent } from '../ci360/event'
import { trackingCodeOf } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import { type Deps, type RequestContext, withShard } from '../deps'
import { describeError, type Logger, maskPhone } from '../lib/log'
import { redactProviderText } from '../lib/redact'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { deferSend, quietHoldOf } from '../outbound/defer'
import { lookThenSend } from '../outbound/lookup'
import { optOutOfRefusal, rememberIdentity } from '../outbound/outcome'
import { buildOutbound, isStale, validateOutbound } from '../outbound/pipeline'
import { routeEffect } from '../outbound/route-effect'
import { notifySuppressed, suppressedDetail, suppressionCheck } from '../outbound/suppression'
import type { PreparedOutbound } from '../outbound/types'
import { afterFirstFailure } from '../outbox/backoff'
import { sendCi360Event } from '../outbox/ci360-event'
import type { Pace } from '../pacer/bucket'
import { OPTED_OUT } from '../providers/opt-out'
import { newClaimToken } from '../storage/d1-call'
import { parseQueuedSend, type QueuedSend } from '../storage/queued-send'
import type { SuppressionRow } from '../storage/suppressions'
import type { UpstreamError } from '../upstream/error'
import { paceOf, pacerName } from './pace'
import { isSlowDownError } from './signals'
import { slowDownSender } from './slow-down'

/** Messages whose reserved time is at most this far ahead are sent by this invocation; the rest wait on the queue. */
export const HORIZON_MS = 15_000
/** Provider calls in flight at once per invocation (a Worker may hold six connections). */
const PARALLEL = 6
/** A send this much later than its time is a stall: the sender's later sends move back by as much. */
const STALL_MS = 50
/** After a slow-down answer the message comes back after this long (the pacer's pause plus a margin). */
const SLOW_DOWN_DELAY_S = 2

/** One queue message, parsed and rebuilt into the message its provider sends. */
interface Item {
  msg: Message<unknown>
  send: QueuedSend
  tenant: TenantConfig
  event: OutboundEvent
  prepared: PreparedOutbound
  pace: Pace | null
  pacer: string
  at: number
  epoch: number
}

/** The seconds Twilio may hold the message: what is left of its `event_ttl` (1–36,000). */
export function validityOf(tenant: TenantConfig, generatedTimestamp: number, now: number): number {
  const left = Math.floor((generatedTimestamp + tenant.settings.event_ttl * 1000 - now) / 1000)
  return Math.min(36_000, Math.max(1, left))
}

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
  await pool(taken, PARALLEL, async ({ it, blocked, lookFirst }) => {
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
  await Promise.all(
    after.map((f) => f().catch((e: unknown) => log.error('after-send step failed', describeError(e)))),
  )
}

/** Parse a queue message and rebuild its provider message; undefined (logged) when that is impossible. */
function rebuild(ctx: RequestContext, msg: Message<unknown>): Item | undefined {
  const send = parseQueuedSend(msg.body)
  if (!send) {
    ctx.log.error('send queue message not understood; dropped', { id: msg.id })
    return undefined
  }
  const tenant = ctx.config.tenant(send.tenant)
  if (!tenant) {
    ctx.log.error('queued send for an unknown tenant; dropped', { tenant: send.tenant, guid: send.guid })
    return undefined
  }
  try {
    const validated = validateOutbound(JSON.parse(send.body), tenant)
    if ('reply' in validated) return undefined
    const event = validated.event
    const validity = validityOf(tenant, send.deadlineFrom ?? event.date.generatedTimestamp, ctx.now())
    const prepared = buildOutbound(
      ctx,
      send.provider,
      tenant,
      event,
      send.origin,
      send.provider === 'twilio' ? validity : undefined,
    )
    const sender = prepared.message.sender
    return {
      msg,
      send,
      tenant,
      event,
      prepared,
      pace: paceOf(tenant, send.provider, sender),
      pacer: pacerName(tenant.id, send.provider, sender),
      at: 0,
      epoch: 0,
    }
  } catch (e) {
    // It was validated when accepted: only a changed tenant configuration gets here. The cron retries it.
    ctx.log.error('queued send cannot be rebuilt', {
      tenant: send.tenant,
      guid: send.guid,
      ...describeError(e),
    })
    return undefined
  }
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

/** What the sends of one batch share: the statements and later work they add, and each sender's lag. */
interface BatchState {
  outcome: D1PreparedStatement[]
  after: (() => Promise<unknown>)[]
  /** Senders told to slow down in this batch (once each). */
  slowed: Set<string>
  /** How late each sender's sends run behind their reserved times (ms): later sends keep their spacing. */
  lags: Map<string, number>
}

/** Decide, send and record one taken message; statements go to `outcome`, CI360 events to `after`. */
async function settleOne(
  ctx: RequestContext,
  it: Item,
  blocked: SuppressionRow | null,
  lookFirst: boolean,
  b: BatchState,
) {
  const { outcome, after, slowed } = b
  const { tenant, prepared, event } = it
  const { guid } = it.send
  const deliveries = ctx.stores.deliveries
  const log = ctx.log.child({ tenant: tenant.id, guid, provider: it.send.provider })
  const base = { ...ctx, log }
  if (blocked) {
    outcome.push(
      deliveries.transition(tenant.id, guid, {
        state: 'suppressed',
        now: ctx.now(),
        attempted: false,
        lastError: OPTED_OUT,
        detail: suppressedDetail(blocked),
      }),
    )
    after.push(() =>
      notifySuppressed(base, tenant, {
        guid,
        provider: prepared.provider.id,
        identity: event.identityId,
        responseTrackingCode: trackingCodeOf(event),
        message: prepared.message,
      }),
    )
    return
  }
  if (isStale(it.send.deadlineFrom ?? event.date.generatedTimestamp, tenant, ctx.now())) {
    const detail = `event_ttl passed while queued (${tenant.settings.event_ttl} s); not sent`
    outcome.push(
      deliveries.transition(tenant.id, guid, {
        state: 'expired',
        now: ctx.now(),
        attempted: false,
        lastError: detail,
        detail,
      }),
    )
    after.push(() => notifyFailed(base, it, 'EXPIRED', detail))
    return
  }
  const hold = quietHoldOf(tenant, event, prepared, ctx.now(), log)
  if (hold) {
    // Rare (a queue that reaches into the night): its own round trip, as on the accept route.
    after.push(() =>
      deferSend(base, {
        tenant,
        prepared,
        hold,
        bodyText: it.send.body,
        origin: it.send.origin,
        takeover: false,
      }),
    )
    return
  }
  const due = it.at + (b.lags.get(it.pacer) ?? 0)
  const wait = due - ctx.now()
  if (wait > 0) await (ctx.sleep ?? sleep)(wait)
  // A stall (not a timer's few ms of slack) pushes the sender's later messages back by as much.
  const late = ctx.now() - due
  if (late > STALL_MS) b.lags.set(it.pacer, (b.lags.get(it.pacer) ?? 0) + late)
  // An earlier send's outcome is unknown (the cron handed it back): ask the provider before sending again.
  const result = lookFirst
    ? (await lookThenSend(prepared.provider, prepared.message, prepared.generatedTimestamp)).result
    : await prepared.provider.send(prepared.message)
  const now = ctx.now()
  const sender = prepared.message.sender ?? ''
  if (result.ok) {
    const messageId = result.value.messageId
    outcome.push(
      deliveries.transition(tenant.id, guid, {
        state: 'sent',
        now,
        attempted: true,
        messageId,
        detail: `message_id ${messageId ?? '-'}; sender ${sender || '-'}; ${prepared.segments} segment(s)`,
        // A look-up settled the earlier unknown outcome.
        ...(lookFirst ? { outcomeUnknown: false } : {}),
        ...routeEffect(result.value, undefined),
      }),
    )
    log.info('outbound sent', {
      to: maskPhone(prepared.message.to),
      message_id: messageId,
      waited_ms: Math.max(0, Math.round(wait)),
    })
    after.push(() => rememberIdentity(ctx, tenant, prepared.correlation.identity, prepared.message.phone))
    after.push(() => notifySent(base, it, messageId, routeEffect(result.value, undefined).route))
    return
  }
  const error = result.error
  if (isSlowDownError(prepared.provider.id, error)) {
    const reason = `${error.providerCode ?? error.status ?? 'slow down'}`
    const detail = `over the sender's rate (${reason}); back on the queue`
    outcome.push(
      deliveries.backToQueue(tenant.id, guid, {
        now,
        until: now + QUEUE_LOST_MS,
        detail,
        attempted: true,
        from: ['sending'],
      }),
    )
    if (!slowed.has(it.pacer)) {
      slowed.add(it.pacer)
      after.push(() => slowDownSender(base, it.pacer, reason))
    }
    after.push(
      () =>
        ctx.sends?.send({ ...it.send, slot: undefined } as QueuedSend, {
          contentType: 'json',
          delaySeconds: SLOW_DOWN_DELAY_S,
        }) ?? Promise.resolve(),
    )
    log.warn('sender over its rate', { provider_code: error.providerCode, http_status: error.status })
    return
  }
  recordFailure(base, it, error, now, outcome)
  if (!error.retryable)
    after.push(() =>
      notifyFailed(base, it, error.providerCode ?? String(error.status ?? error.kind), error.message),
    )
}

/** A failed send as the sync path stores it: a failed request (pending or dead) and the delivery state. */
function recordFailure(
  ctx: RequestContext,
  it: Item,
  error: UpstreamError,
  now: number,
  outcome: D1PreparedStatement[],
) {
  const { tenant, prepared } = it
  const { guid } = it.send
  const optOut = optOutOfRefusal(ctx, tenant, prepared, error)
  const why = optOut ? `${OPTED_OUT}: ${error.summary()}` : error.summary()
  outcome.push(
    ctx.stores.failedRequests.insert({
      tenantId: tenant.id,
      kind: prepared.provider.id,
      guid,
      generatedTimestamp: prepared.generatedTimestamp,
      eventBody: it.send.body,
      ...(it.send.origin ? { meta: { origin: it.send.origin } } : {}),
      ...afterFirstFailure(error, now, ctx.random),
      now,
    }),
    ...(optOut?.statements ?? []),
    ctx.stores.deliveries.transition(tenant.id, guid, {
      state: error.retryable ? 'queued' : 'rejected',
      now,
      attempted: true,
      lastError: why,
      detail: why,
      ...(error.ambiguous ? { outcomeUnknown: true } : {}),
      ...routeEffect(undefined, error),
    }),
  )
  ctx.log.warn('outbound failed', {
    to: maskPhone(prepared.message.to),
    kind: error.kind,
    http_status: error.status,
    provider_code: error.providerCode,
    retryable: error.retryable,
  })
}

/** The event's attributes; `route`: the route that sent it, when the tenant has routes (docs/guarantees.md). */
const attrs = (it: Item, route?: { provider: string; sender: string }): Record<string, string> => {
  const rtc = trackingCodeOf(it.event)
  return {
    datahub_id: it.event.identityId,
    externalCode: it.event.properties?.externalCode ?? '',
    ...(rtc ? { responseTrackingCode: rtc } : {}),
    guid: it.send.guid,
    provider: route?.provider ?? it.prepared.provider.id,
    sender: route?.sender ?? it.prepared.message.sender ?? '',
  }
}

/** `sent_event` (docs/pacing.md, "Outcome events"), when the tenant names one. */
async function notifySent(
  ctx: RequestContext,
  it: Item,
  messageId: string | null,
  route?: { provider: string; sender: string },
) {
  const name = it.tenant.settings.sent_event
  if (!name) return
  const event: Ci360Event = {
    eventName: name,
    ...attrs(it, route),
    message_id: messageId ?? '',
    segments: String(it.prepared.segments),
  }
  await sendCi360Event(ctx, it.tenant.id, ctx.ci360(it.tenant), `sent:${it.send.guid}`, event)
}

/** `send_failed_event` with the reason code and the provider's text, redacted against what was sent. */
async function notifyFailed(ctx: RequestContext, it: Item, code: string, text: string) {
  const name = it.tenant.settings.send_failed_event
  if (!name) return
  const event: Ci360Event = {
    eventName: name,
    ...attrs(it),
    reason_code: code,
    // The provider's text was redacted against what was sent when it was read; numbers are masked again.
    reason: redactProviderText(text),
  }
  await sendCi360Event(ctx, it.tenant.id, ctx.ci360(it.tenant), `send_failed:${it.send.guid}`, event)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Run `fn` over `items`, at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const t = items[next++] as T
      await fn(t)
    }
  })
  await Promise.all(lanes)
}
