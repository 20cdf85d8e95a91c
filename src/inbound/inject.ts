import { type Ci360Event, withConnectorEventId } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'
import { ok, type Result } from '../lib/result'
import { callGenesys, type GenesysCall } from '../providers/genesys/client'
import type { UpstreamAttempt } from '../providers/types'
import { afterFirstFailure } from '../retry/backoff'
import { d1Call } from '../storage/d1-call'
import type { UpstreamError, UpstreamId } from '../upstream/error'

export interface InjectResult {
  /** `OK`: the upstream accepted it. `QUEUED`: stored in `failed_requests` for the cron. */
  status: 'OK' | 'QUEUED'
  retryAt?: number
  /** The call made, as the operator's event viewer shows it. */
  attempt: UpstreamAttempt
}

/** One upstream call as the event viewer shows it; `okStatus` is a success's HTTP status, when known. */
export const attemptOf = (
  upstream: UpstreamId,
  at: number,
  now: number,
  r: Result<unknown, UpstreamError>,
  okStatus: number | null = null,
): UpstreamAttempt => ({
  upstream,
  at,
  ok: r.ok,
  http_status: r.ok ? okStatus : (r.error.status ?? null),
  latency_ms: now - at,
  error: r.ok ? null : r.error.summary(),
})

/** One call to pass an event on: to CI360 (kind `ci360_event`) or Genesys (`genesys_event`). */
interface PassOn {
  upstream: 'ci360' | 'genesys'
  kind: 'ci360_event' | 'genesys_event'
  body: object
  /** Answers the upstream's HTTP status. */
  send: () => Promise<Result<number, UpstreamError>>
}

/**
 * Make the call; when it fails, store the body as a failed request (pending when retryable, dead
 * otherwise) so nothing is lost. `eventKey` identifies the webhook delivery (`scg:<event-id>`,
 * `twilio:<sid>:<status>`) and makes the store idempotent. Throws `StorageError` only when the event
 * could be neither passed on nor stored.
 */
async function passOnOrQueue(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  eventKey: string,
  p: PassOn,
): Promise<InjectResult> {
  const at = deps.now()
  const result = await p.send()
  const now = deps.now()
  const attempt = attemptOf(p.upstream, at, now, result, result.ok ? result.value : null)
  if (result.ok) {
    return { status: 'OK', attempt }
  }
  const error = result.error
  const failure = afterFirstFailure(error, now, deps.random)
  const retryAt = failure.nextAttemptAt
  const insert = deps.stores.failedRequests.insert({
    tenantId: tenant.id,
    kind: p.kind,
    guid: eventKey,
    generatedTimestamp: null,
    eventBody: JSON.stringify(p.body),
    ...failure,
    now,
  })
  await d1Call('failed_requests.insert', () => insert.run())
  log.warn(`${p.upstream} call stored for retry`, {
    event_key: eventKey,
    http_status: error.status,
    retryable: error.retryable,
  })
  return retryAt === null ? { status: 'QUEUED', attempt } : { status: 'QUEUED', retryAt, attempt }
}

/**
 * Send an event to the tenant's CI360 gateway, or store it as a `ci360_event` failed request. The event
 * sent and stored carries `connector_event_id` = `key`, so its retries send the same id.
 */
export const injectOrQueue = (
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  key: string,
  event: Ci360Event,
) => {
  const stamped = withConnectorEventId(event, key)
  return passOnOrQueue(deps, log, tenant, key, {
    upstream: 'ci360',
    kind: 'ci360_event',
    body: stamped,
    send: async () => {
      const r = await deps.ci360(tenant).send(stamped)
      return r.ok ? ok(r.value.status) : r
    },
  })
}

/** Post a receipt or a customer's message to Genesys, or store it as a `genesys_event` failed request. */
export const forwardOrQueue = (
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  key: string,
  call: GenesysCall,
) =>
  passOnOrQueue(deps, log, tenant, key, {
    upstream: 'genesys',
    kind: 'genesys_event',
    body: call,
    send: () => callGenesys(deps, tenant, call),
  })
