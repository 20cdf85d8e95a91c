import { type Ci360Event, withConnectorEventId } from '../ci360/client'
import type { Deps } from '../deps'
import { safeJsonParse } from '../lib/http'
import type { FailedRequestRow } from '../storage/failed-requests'
import type { InboundState } from '../storage/inbound-events'
import type { RetryHandler, RetryOutcome } from './types'

/**
 * Retry of a stored `ci360_event`: post the same body again. A body stored before events carried
 * `connector_event_id` gets the row's `guid`, the key the first attempt would have used.
 */
export const retryCi360Event: RetryHandler = async ({ deps, tenant, row, log }) => {
  const event = storedEvent(row.event_body)
  if (!event) {
    // A body that never parses would fail the same way on every run: end it now, with the reason.
    log.error('stored ci360_event is corrupt; not sent')
    return {
      result: 'dead',
      error: 'stored event body is not a CI360 event (JSON object with an eventName)',
      httpStatus: null,
      attempted: false,
    }
  }
  const result = await deps.ci360(tenant).send(withConnectorEventId(event, row.guid))
  if (result.ok) {
    return {
      result: 'done',
      detail: `CI360 answered ${result.value.status}`,
      httpStatus: result.value.status,
    }
  }
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

/** The stored body as a CI360 event, or undefined when it is not one. */
function storedEvent(body: string): Ci360Event | undefined {
  const value = safeJsonParse(body)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return typeof (value as { eventName?: unknown }).eventName === 'string' ? (value as Ci360Event) : undefined
}

const EVENT_STATE: Record<RetryOutcome['result'], InboundState> = {
  done: 'injected',
  retry: 'queued',
  dead: 'dead',
  expired: 'dead',
}

/**
 * The retry of a `ci360_event` or `genesys_event` row, or of a Genesys message (cron or an operator's
 * Retry), tracked on the stored webhook event it came from, whose state follows (docs/console.md). The
 * target is the upstream the kind names (`ci360`, `genesys`, or the provider). Written in the batch that stores the result.
 */
export function trackedOnEvent(
  deps: Deps,
  row: FailedRequestRow,
  outcome: RetryOutcome,
  at: number,
  latencyMs: number,
): D1PreparedStatement {
  const called = outcome.result !== 'expired' && (outcome.result === 'done' || outcome.attempted !== false)
  return deps.stores.inboundEvents.trackRetry(row.tenant_id, row.guid, EVENT_STATE[outcome.result], {
    at: new Date(at).toISOString(),
    target: called ? row.kind.replace('_event', '') : null,
    http_status: outcome.result === 'expired' ? null : (outcome.httpStatus ?? null),
    latency_ms: called ? latencyMs : null,
    outcome: outcome.result === 'done' ? 'OK' : 'ERROR',
  })
}
