import { storedGenesysOutbound } from '../outbound/genesys'
import { type LookedSend, lookThenSend } from '../outbound/lookup'
import { rememberIdentity } from '../outbound/outcome'
import { buildOutbound, isStale, validateOutbound } from '../outbound/pipeline'
import type { ProviderId } from '../providers/types'
import type { UpstreamError } from '../upstream/error'
import type { RetryHandler, RetryOutcome } from './types'

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

/** A failed provider call as a retry outcome: retryable → retry (floor `Retry-After`), else dead. */
export function providerOutcome(e: UpstreamError): RetryOutcome {
  if (e.retryable) {
    return {
      result: 'retry',
      error: e.summary(),
      httpStatus: e.status ?? null,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    }
  }
  return {
    result: 'dead',
    error: e.summary(),
    httpStatus: e.status ?? null,
    ...(e.providerCode ? { providerCode: e.providerCode } : {}),
  }
}

/**
 * Retry of an outbound message, for every provider (the row's `kind` is the provider id): the stored
 * CI360 event (or Genesys message) goes through the same validation, staleness check, creative parsing
 * and provider adapter as the original request. `AppError`s from that path (a creative that no longer builds, missing
 * credentials) propagate to the engine.
 */
export const retryOutbound: RetryHandler = async ({ deps, tenant, row, log, now }) => {
  let body: unknown
  try {
    body = JSON.parse(row.event_body)
  } catch {
    return { result: 'dead', error: 'stored event body is not JSON', httpStatus: null, attempted: false }
  }
  const delivery = await deps.stores.deliveries.get(tenant.id, row.guid)
  const origin = originOf(row.meta)
  // A Genesys message is stored as Genesys sent it; everything else is a CI360 event.
  const validated = delivery?.source === 'genesys' ? undefined : validateOutbound(body, tenant)
  const prepared = !validated
    ? storedGenesysOutbound(deps, tenant, body, row.generated_timestamp ?? now, origin)
    : 'event' in validated
      ? buildOutbound({ ...deps, log }, row.kind as ProviderId, tenant, validated.event, origin)
      : undefined
  if (!prepared) {
    return { result: 'dead', error: 'stored event is not one to send', httpStatus: null, attempted: false }
  }
  const { event, provider, message } = prepared
  if (isStale(event, tenant, now)) {
    return { result: 'expired', error: `older than event_ttl (${tenant.settings.event_ttl} s); not sent` }
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
    return {
      ...providerOutcome(result.error),
      ...(unsettled ? { attempted: false } : {}),
      delivery: { outcomeUnknown: result.error.ambiguous, ...(unsettled ? { uncertain: true } : {}) },
    }
  }
  await rememberIdentity(deps, tenant, event, message.phone)
  const messageId = result.value.messageId
  const found = result.value.found === true
  log.info(found ? 'retry found the message already sent' : 'retry sent', {
    message_id: messageId,
    looked: lookFirst,
  })
  return {
    result: 'done',
    messageId,
    detail: `${found ? 'found by look-up: ' : ''}${messageId ? `message_id ${messageId}` : 'sent'}`,
    delivery: { outcomeUnknown: false },
  }
}
