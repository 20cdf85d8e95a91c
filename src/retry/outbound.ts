import { buildGenesysOutbound, GENESYS_SOURCE, parseGenesysMessage } from '../outbound/genesys'
import { rememberIdentity } from '../outbound/outcome'
import { buildOutbound, isStale, type PreparedOutbound, validateOutbound } from '../outbound/pipeline'
import type { ProviderId } from '../providers/types'
import type { UpstreamError } from '../upstream/error'
import type { RetryContext, RetryHandler, RetryOutcome } from './types'

function metaOf(meta: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(meta)
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>
  } catch {
    // A meta column that does not parse is treated as empty: everything in it is optional.
  }
  return {}
}

/** The public origin stored with the request (Twilio's StatusCallback is built from it). */
export function originOf(meta: string): string | undefined {
  const origin = metaOf(meta).origin
  return typeof origin === 'string' && origin !== '' ? origin : undefined
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
 * as the original request (a Genesys message, marked in `meta.source`, is re-read as one). `AppError`s from that path (a creative that no longer builds, missing
 * credentials) propagate to the engine.
 */
export const retryOutbound: RetryHandler = async (ctx) => {
  const { deps, tenant, row, log, now } = ctx
  let body: unknown
  try {
    body = JSON.parse(row.event_body)
  } catch {
    return { result: 'dead', error: 'stored event body is not JSON', httpStatus: null, attempted: false }
  }
  const providerId = row.kind as ProviderId
  const origin = originOf(row.meta)
  if (metaOf(row.meta).source === GENESYS_SOURCE) {
    const parsed = parseGenesysMessage(body)
    if ('reply' in parsed) return notSendable('stored message is not an outbound text')
    const prepared = buildGenesysOutbound(
      { ...deps, log },
      tenant,
      parsed.send,
      row.generated_timestamp ?? now,
      origin,
    )
    return sendPrepared(ctx, prepared)
  }
  const validated = validateOutbound(body, tenant)
  if ('reply' in validated) {
    return notSendable('stored event is not an outboundSystem event')
  }
  return sendPrepared(ctx, buildOutbound({ ...deps, log }, providerId, tenant, validated.event, origin))
}

const notSendable = (error: string): RetryOutcome => ({
  result: 'dead',
  error,
  httpStatus: null,
  attempted: false,
})

/** Staleness, then the provider call; the identity is cached as after a first attempt. */
async function sendPrepared(ctx: RetryContext, prepared: PreparedOutbound): Promise<RetryOutcome> {
  const { deps, tenant, now } = ctx
  const { event, provider, message } = prepared
  if (isStale(event, tenant, now)) {
    return { result: 'expired', error: `older than event_ttl (${tenant.settings.event_ttl} s); not sent` }
  }
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
