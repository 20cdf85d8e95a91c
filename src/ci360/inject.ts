import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { StorageError } from '../lib/app-error'
import type { Logger } from '../lib/log'
import { afterFirstFailure } from '../retry/backoff'
import type { RetryHandler } from '../retry/types'
import { createFailedRequestStore } from '../storage/failed-requests'
import { trackStoredRetry } from '../webhooks/recording'
import { type Ci360Event, ci360ConfigOf, createCi360Client } from './client'

export interface InjectResult {
  /** `OK`: CI360 accepted it. `QUEUED`: stored in `failed_requests` (kind `ci360_event`) for the cron. */
  status: 'OK' | 'QUEUED'
  retryAt?: number
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
  const client = createCi360Client(ci360ConfigOf(tenant), deps)
  const started = deps.now()
  const result = await client.send(event)
  deps.inbound?.track({
    target: 'ci360',
    http_status: result.ok ? result.value.status : (result.error.status ?? null),
    latency_ms: deps.now() - started,
    outcome: result.ok ? 'OK' : 'ERROR',
  })
  if (result.ok) {
    log.info('ci360 event injected', { event_key: eventKey, event_name: event.eventName })
    return { status: 'OK' }
  }
  const error = result.error
  const now = deps.now()
  const failure = afterFirstFailure(error, now, deps.random)
  const retryAt = failure.nextAttemptAt
  const insert = createFailedRequestStore(deps.db).insert({
    tenantId: tenant.id,
    kind: 'ci360_event',
    guid: eventKey,
    generatedTimestamp: null,
    eventBody: JSON.stringify(event),
    ...failure,
    now,
  })
  try {
    await insert.run()
  } catch (cause) {
    throw new StorageError('failed_requests.insert', cause)
  }
  log.warn('ci360 event stored for retry', {
    event_key: eventKey,
    http_status: error.status,
    retryable: error.retryable,
  })
  return retryAt === null ? { status: 'QUEUED' } : { status: 'QUEUED', retryAt }
}

/** Retry of a stored `ci360_event`: post the same body again. */
export const retryCi360Event: RetryHandler = async ({ deps, tenant, row, log }) => {
  const event = JSON.parse(row.event_body) as Ci360Event
  const started = deps.now()
  const result = await createCi360Client(ci360ConfigOf(tenant), deps).send(event)
  const lastTry =
    !result.ok && (!result.error.retryable || row.attempts + 1 >= tenant.settings.retry_max_attempts)
  await trackStoredRetry(
    { ...deps, log },
    tenant.id,
    row.guid,
    {
      http_status: result.ok ? result.value.status : (result.error.status ?? null),
      latency_ms: deps.now() - started,
      outcome: result.ok ? 'OK' : 'ERROR',
    },
    result.ok ? 'injected' : lastTry ? 'dead' : 'queued',
  )
  if (result.ok) return { result: 'done', detail: `CI360 answered ${result.value.status}` }
  const e = result.error
  if (e.retryable) {
    return {
      result: 'retry',
      error: e.summary(),
      httpStatus: e.status ?? null,
      ...(e.retryAfterMs ? { retryAfterMs: e.retryAfterMs } : {}),
    }
  }
  return { result: 'dead', error: e.summary(), httpStatus: e.status ?? null }
}
