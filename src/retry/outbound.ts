import { describeError } from '../lib/log'
import type { DeliverySource, ProviderId } from '../lib/vocabulary'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { deferredDetail, type QuietHold, quietHoldOf } from '../outbound/defer'
import { type LookedSend, lookThenSend } from '../outbound/lookup'
import { optOutOfRefusal, rememberIdentity } from '../outbound/outcome'
import { buildOutbound, isStale, validateOutbound } from '../outbound/pipeline'
import { routeEffect } from '../outbound/route-effect'
import { findSuppression, notifySuppressed, suppressedDetail } from '../outbound/suppression'
import type { PreparedOutbound } from '../outbound/types'
import { retryOutcomeOf } from '../outbox/outcome'
import { OPTED_OUT } from '../providers/opt-out'
import { queuedSendOf } from '../storage/queued-send'
import type { RetryContext, RetryKind, RetryOutcome } from './types'

/** A message handed back to the send queue arrives this long after (the engine's batch commits first). */
const HANDOFF_DELAY_S = 2

/** The public origin stored with the request (Twilio's StatusCallback is built from it). */
export function originOf(meta: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(meta)
    if (typeof parsed === 'object' && parsed !== null && 'origin' in parsed) {
      const origin = (parsed as { origin: unknown }).origin
      return typeof origin === 'string' && origin !== '' ? origin : undefined
    }
  } catch {
    // A meta column that does not parse is treated as empty: the origin is optional.
  }
  return undefined
}

/**
 * Who asked for an outbound message (its delivery's `source`): how a retry re-reads the stored body,
 * and what the source wants to hear about the message.
 */
export interface SendSource {
  /** The stored body as the retry sends it; undefined when it is not one to send. May throw `AppError`. */
  prepare(ctx: RetryContext, body: unknown, origin: string | undefined): PreparedOutbound | undefined
  /**
   * Whether quiet hours hold the send now (docs/compliance.md); a source without it is never held (a
   * Genesys agent answers a conversation the customer started).
   */
  quietHold?(ctx: RetryContext, body: unknown, prepared: PreparedOutbound): QuietHold | undefined
  /** Whether a row (by its guid) is this source's and tracked on its stored webhook event. */
  tracks?(guid: string): boolean
  /** The retries of a row ended without success (`dead`, `expired`). */
  onEnded?(ctx: RetryContext, error: string): Promise<void>
}

/** A CI360 event, stored as CI360 sent it: validated, its creative parsed, as on the first attempt. */
export const ci360SendSource: SendSource = {
  prepare({ deps, tenant, row }, body, origin) {
    const validated = validateOutbound(body, tenant)
    return 'event' in validated
      ? buildOutbound(deps, row.kind as ProviderId, tenant, validated.event, origin)
      : undefined
  },
  quietHold({ deps, tenant, now }, body, prepared) {
    const validated = validateOutbound(body, tenant)
    return 'event' in validated ? quietHoldOf(tenant, validated.event, prepared, now, deps.log) : undefined
  },
}

/**
 * The failed-request kind of an outbound message, for every provider (the row's `kind` is the provider
 * id): its delivery record moves with each attempt; the delivery's source re-reads the stored body.
 */
export const outboundKind = (sources: Record<DeliverySource, SendSource>): RetryKind => {
  const all = Object.values(sources)
  return {
    outbound: true,
    retry: (ctx) => retryOutbound(ctx, sources),
    tracked: (row) => all.some((s) => s.tracks?.(row.guid) === true),
    async onEnded(ctx, error) {
      for (const s of all) await s.onEnded?.(ctx, error)
    },
  }
}

/**
 * Retry of an outbound message: the stored CI360 event (or Genesys message) goes through the same
 * validation, staleness check, creative parsing and provider adapter as the original request.
 * `AppError`s from that path (a creative that no longer builds, missing credentials) propagate to the
 * engine.
 */
async function retryOutbound(
  ctx: RetryContext,
  sources: Record<DeliverySource, SendSource>,
): Promise<RetryOutcome> {
  const { deps, tenant, row, now } = ctx
  let body: unknown
  try {
    body = JSON.parse(row.event_body)
  } catch {
    return { result: 'dead', error: 'stored event body is not JSON', httpStatus: null, attempted: false }
  }
  const delivery = await deps.stores.deliveries.get(tenant.id, row.guid)
  const source = sources[delivery?.source ?? 'ci360']
  const prepared = source.prepare(ctx, body, originOf(row.meta))
  if (!prepared) {
    return { result: 'dead', error: 'stored event is not one to send', httpStatus: null, attempted: false }
  }
  const { provider, message, correlation } = prepared
  // The row's own timestamp: a send quiet hours held counts its deadline from the window's end.
  if (isStale(row.generated_timestamp ?? prepared.generatedTimestamp, tenant, now)) {
    return { result: 'expired', error: `older than event_ttl (${tenant.settings.event_ttl} s); not sent` }
  }
  // Numbers opted out since the message was queued are not sent to (docs/compliance.md).
  const blocked = await findSuppression(deps, tenant.id, message)
  if (blocked) {
    if (delivery?.source !== 'genesys') {
      await notifySuppressed(deps, tenant, {
        guid: row.guid,
        provider: provider.id,
        identity: correlation.identity,
        responseTrackingCode: delivery?.response_tracking_code ?? null,
        message,
      })
    }
    const error = suppressedDetail(blocked)
    return { result: 'dead', error, httpStatus: null, attempted: false, delivery: { suppressed: true } }
  }
  // Checked again at every attempt: a retry that falls inside the window waits for its end, unsent.
  const hold = source.quietHold?.(ctx, body, prepared)
  if (hold) {
    deps.log.info('retry deferred by quiet hours', { send_at: new Date(hold.sendAt).toISOString() })
    return {
      result: 'deferred',
      until: hold.sendAt,
      windowEnd: hold.windowEnd,
      error: deferredDetail(hold),
      httpStatus: null,
      attempted: false,
    }
  }
  // A paced tenant's message goes back on the send queue, to leave at its sender's pace (docs/pacing.md):
  // a morning's worth of messages held by quiet hours, or a provider's outage, is not sent in a burst.
  if (delivery?.segments != null && tenant.settings.send_mode === 'queued' && deps.sends) {
    const origin = originOf(row.meta)
    try {
      await deps.sends.send(
        queuedSendOf({
          tenant: tenant.id,
          guid: row.guid,
          provider: row.kind as ProviderId,
          body: row.event_body,
          origin,
          // The row's own deadline: a send quiet hours held counts it from the window's end.
          deadlineFrom: row.generated_timestamp,
        }),
        // After the engine's batch has made the row `accepted` again, so the consumer can take it.
        { contentType: 'json', delaySeconds: HANDOFF_DELAY_S },
      )
    } catch (e) {
      return {
        result: 'retry',
        error: `the send queue refused it: ${describeError(e).error_name}`,
        httpStatus: null,
        attempted: false,
      }
    }
    return {
      result: 'done',
      detail: 'back on the send queue',
      delivery: { handedOff: { queuedUntil: now + QUEUE_LOST_MS } },
    }
  }
  // After a call whose outcome we never saw (or a claim the Worker never finished), the provider is
  // asked first: a second send could be a second SMS (docs/guarantees.md).
  const lookFirst = delivery !== null && (delivery.outcome_unknown === 1 || delivery.state === 'uncertain')
  const looked: LookedSend = lookFirst
    ? await lookThenSend(provider, message, delivery.created_at)
    : { result: await provider.send(message), sent: true }
  const { result } = looked
  if (!result.ok) {
    const unsettled = !looked.sent
    const optOut = optOutOfRefusal(deps, tenant, prepared, result.error)
    if (optOut) {
      // One statement pair of its own: the engine's batch carries no extra statements.
      if (optOut.statements.length > 0)
        await deps.stores.deliveries.exec('suppressions.provider', optOut.statements)
      return {
        result: 'dead',
        error: `${OPTED_OUT}: ${result.error.summary()}`,
        httpStatus: result.error.status ?? null,
        ...(result.error.providerCode ? { providerCode: result.error.providerCode } : {}),
        delivery: { outcomeUnknown: result.error.ambiguous },
      }
    }
    return {
      ...retryOutcomeOf(result.error),
      ...(unsettled ? { attempted: false } : {}),
      delivery: {
        outcomeUnknown: result.error.ambiguous,
        ...(unsettled ? { uncertain: true } : {}),
        ...routeEffect(undefined, result.error),
      },
    }
  }
  await rememberIdentity(deps, tenant, correlation.identity, message.phone)
  const messageId = result.value.messageId
  const found = result.value.found === true
  deps.log.info(found ? 'retry found the message already sent' : 'retry sent', {
    message_id: messageId,
    looked: lookFirst,
  })
  return {
    result: 'done',
    messageId,
    detail: `${found ? 'found by look-up: ' : ''}${messageId ? `message_id ${messageId}` : 'sent'}`,
    delivery: { outcomeUnknown: false, ...routeEffect(result.value, undefined) },
  }
}
