import type { Ci360Event } from '../ci360/client'
import { trackingCodeOf } from '../ci360/event'
import type { RequestContext } from '../deps'
import { maskPhone } from '../lib/log'
import { redactProviderText } from '../lib/redact'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { deferSend, quietHoldOf } from '../outbound/defer'
import { lookThenSend } from '../outbound/lookup'
import { failedSendStatements, rememberIdentity } from '../outbound/outcome'
import { isStale } from '../outbound/pipeline'
import { routeEffect } from '../outbound/route-effect'
import { notifySuppressed, suppressedStatement } from '../outbound/suppression'
import { afterFirstFailure } from '../outbox/backoff'
import { sendCi360Event } from '../outbox/ci360-event'
import type { QueuedSend } from '../storage/queued-send'
import type { SuppressionRow } from '../storage/suppressions'
import type { Item } from './queue-item'
import { isSlowDownError } from './signals'
import { slowDownSender } from './slow-down'

/** A send this much later than its time is a stall: the sender's later sends move back by as much. */
const STALL_MS = 50
/** After a slow-down answer the message comes back after this long (the pacer's pause plus a margin). */
const SLOW_DOWN_DELAY_S = 2

/** What the sends of one batch share: the statements and later work they add, and each sender's lag. */
export interface BatchState {
  outcome: D1PreparedStatement[]
  after: (() => Promise<unknown>)[]
  /** Senders told to slow down in this batch (once each). */
  slowed: Set<string>
  /** How late each sender's sends run behind their reserved times (ms): later sends keep their spacing. */
  lags: Map<string, number>
}

/** Decide, send and record one taken message; statements go to `outcome`, CI360 events to `after`. */
export async function settleOne(
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
    outcome.push(suppressedStatement(ctx, tenant.id, guid, blocked))
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
  const insert = ctx.stores.failedRequests.insert({
    tenantId: tenant.id,
    kind: prepared.provider.id,
    guid,
    generatedTimestamp: prepared.generatedTimestamp,
    eventBody: it.send.body,
    ...(it.send.origin ? { meta: { origin: it.send.origin } } : {}),
    ...afterFirstFailure(error, now, ctx.random),
    now,
  })
  outcome.push(...failedSendStatements(base, tenant, prepared, error, insert))
  log.warn('outbound failed', {
    to: maskPhone(prepared.message.to),
    kind: error.kind,
    http_status: error.status,
    provider_code: error.providerCode,
    retryable: error.retryable,
  })
  if (!error.retryable)
    after.push(() =>
      notifyFailed(base, it, error.providerCode ?? String(error.status ?? error.kind), error.message),
    )
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
