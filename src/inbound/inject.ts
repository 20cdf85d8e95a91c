import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'
import type { UpstreamAttempt } from '../providers/types'
import { afterFirstFailure } from '../retry/backoff'
import { d1Call } from '../storage/d1-call'

export interface InjectResult {
  /** `OK`: CI360 accepted it. `QUEUED`: stored in `failed_requests` (kind `ci360_event`) for the cron. */
  status: 'OK' | 'QUEUED'
  retryAt?: number
  /** The call made to CI360, as the operator's event viewer shows it. */
  attempt: UpstreamAttempt
}

/**
 * Send an event to the tenant's CI360 gateway; when that fails, store it as a `ci360_event` failed
 * request (pending when retryable, dead otherwise) so nothing is lost. `eventKey` identifies the
 * webhook delivery (`scg:<event-id>`, `twilio:<sid>:<status>`) and makes the store idempotent.
 * Throws `StorageError` only when the event could be neither injected nor stored.
 */
export async function injectOrQueue(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  eventKey: string,
  event: Ci360Event,
): Promise<InjectResult> {
  const client = deps.ci360(tenant)
  const at = deps.now()
  const result = await client.send(event)
  if (result.ok) {
    const attempt = {
      upstream: 'ci360',
      at,
      ok: true,
      http_status: result.value.status,
      latency_ms: deps.now() - at,
      error: null,
    } as const
    return { status: 'OK', attempt }
  }
  const error = result.error
  const now = deps.now()
  const attempt: UpstreamAttempt = {
    upstream: 'ci360',
    at,
    ok: false,
    http_status: error.status ?? null,
    latency_ms: now - at,
    error: error.summary(),
  }
  const failure = afterFirstFailure(error, now, deps.random)
  const retryAt = failure.nextAttemptAt
  const insert = deps.stores.failedRequests.insert({
    tenantId: tenant.id,
    kind: 'ci360_event',
    guid: eventKey,
    generatedTimestamp: null,
    eventBody: JSON.stringify(event),
    ...failure,
    now,
  })
  await d1Call('failed_requests.insert', () => insert.run())
  log.warn('ci360 event stored for retry', {
    event_key: eventKey,
    http_status: error.status,
    retryable: error.retryable,
  })
  return retryAt === null ? { status: 'QUEUED', attempt } : { status: 'QUEUED', retryAt, attempt }
}
