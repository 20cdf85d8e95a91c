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
 * CI360 event goes through the same validation, staleness check, creative parsing and provider adapter
 * as the original request. `AppError`s from that path (a creative that no longer builds, missing
 * credentials) propagate to the engine.
 */
export const retryOutbound: RetryHandler = async ({ deps, tenant, row, log, now }) => {
  let body: unknown
  try {
    body = JSON.parse(row.event_body)
  } catch {
    return { result: 'dead', error: 'stored event body is not JSON', httpStatus: null, attempted: false }
  }
  const validated = validateOutbound(body, tenant)
  if ('reply' in validated) {
    return {
      result: 'dead',
      error: 'stored event is not an outboundSystem event',
      httpStatus: null,
      attempted: false,
    }
  }
  const { event } = validated
  if (isStale(event, tenant, now)) {
    return { result: 'expired', error: `older than event_ttl (${tenant.settings.event_ttl} s); not sent` }
  }
  const providerId = row.kind as ProviderId
  const { provider, message } = buildOutbound({ ...deps, log }, providerId, tenant, event, originOf(row.meta))
  const result = await provider.send(message)
  if (!result.ok) return providerOutcome(result.error)
  await rememberIdentity(deps, tenant, event, message.phone)
  const messageId = result.value.messageId
  return {
    result: 'done',
    messageId,
    detail: messageId ? `message_id ${messageId}` : 'sent',
  }
}
