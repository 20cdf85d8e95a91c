import type { OutboundEvent } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import { afterReply, type Deps } from '../deps'
import { AppError, storageUnavailable } from '../lib/app-error'
import { describeError, type Logger, maskPhone } from '../lib/log'
import type { Result } from '../lib/result'
import type { OutboundMessage, ProviderId, SendReceipt } from '../providers/types'
import { afterFirstFailure } from '../retry/backoff'
import type { UpstreamError } from '../upstream/error'
import type { OutboundRequest, Reply } from './types'

interface Attempt {
  tenant: TenantConfig
  event: OutboundEvent
  provider: ProviderId
  message: OutboundMessage
  result: Result<SendReceipt, UpstreamError>
  req: OutboundRequest
}

/**
 * Cache phone → identity after a successful send, after the reply (a cache: the send is recorded in D1
 * already), and only when the mapping changes (`identity-cache.ts`, `needsWrite`); a KV failure is
 * only logged.
 */
export function rememberIdentity(deps: Deps, tenant: TenantConfig, event: OutboundEvent, phone?: string) {
  if (!phone) return Promise.resolve()
  return afterReply(deps, () =>
    deps.stores
      .identities(tenant.settings.cache_ttl, deps.log)
      .rememberIfChanged(phone, event.identityId, tenant.id, deps.now()),
  )
}

/**
 * Store the outcome of the first provider call and build the reply. A failed call
 * is in D1 before we answer; if D1 is down the claim is released and CI360 gets 503 to redeliver.
 */
export async function recordFirstAttempt(deps: Deps, log: Logger, a: Attempt): Promise<Reply> {
  const now = deps.now()
  const deliveries = deps.stores.deliveries
  const { tenant, event, result } = a

  if (result.ok) {
    const messageId = result.value.messageId
    try {
      await deliveries.exec('deliveries.sent', [
        deliveries.transition(tenant.id, event.guid, {
          state: 'sent',
          now,
          attempted: true,
          messageId,
          ...(messageId ? { detail: `message_id ${messageId}` } : {}),
        }),
      ])
    } catch (e) {
      // The message went out: answering 503 would invite a redelivery, so the send is reported as done.
      log.error('delivery record update failed after a successful send', describeError(e))
    }
    await rememberIdentity(deps, tenant, event, a.message.phone)
    log.info('outbound sent', { to: maskPhone(a.message.to), message_id: messageId })
    return {
      status: 200,
      body: { status: 'OK', provider: a.provider, message_id: messageId, guid: event.guid },
    }
  }

  const error = result.error
  const failed = deps.stores.failedRequests
  const failure = afterFirstFailure(error, now, deps.random)
  const retryAt = failure.nextAttemptAt
  try {
    await deliveries.exec('outbound.failure', [
      failed.insert({
        tenantId: tenant.id,
        kind: a.provider,
        guid: event.guid,
        generatedTimestamp: event.date.generatedTimestamp,
        eventBody: a.req.bodyText,
        meta: a.req.origin ? { origin: a.req.origin } : {},
        ...failure,
        now,
      }),
      deliveries.transition(tenant.id, event.guid, {
        state: error.retryable ? 'queued' : 'rejected',
        now,
        attempted: true,
        lastError: error.summary(),
        detail: error.summary(),
        // A timeout or a lost connection: the provider may have the message; look before re-sending.
        ...(error.ambiguous ? { outcomeUnknown: true } : {}),
      }),
    ])
  } catch (e) {
    log.error('could not store a failed request', describeError(e))
    await deliveries
      .release(tenant.id, event.guid)
      .catch((re: unknown) => log.error('claim release failed', describeError(re)))
    throw storageUnavailable(e)
  }

  log.warn('outbound failed', {
    to: maskPhone(a.message.to),
    kind: error.kind,
    http_status: error.status,
    provider_code: error.providerCode,
    retryable: error.retryable,
  })
  if (retryAt !== null) {
    return {
      status: 202,
      body: { status: 'QUEUED', guid: event.guid, retry_at: new Date(retryAt).toISOString() },
    }
  }
  throw new AppError('PROVIDER_REJECTED', `The provider rejected the message: ${error.message}`, {
    details: {
      guid: event.guid,
      provider: a.provider,
      provider_status: error.status ?? null,
      provider_code: error.providerCode ?? null,
    },
  })
}
