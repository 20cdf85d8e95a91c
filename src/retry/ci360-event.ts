import { type Ci360Event, withConnectorEventId } from '../ci360/client'
import { safeJsonParse } from '../lib/http'
import { retryOutcomeOf } from '../outbox/outcome'
import type { RetryHandler, RetryKind } from './types'

/**
 * Retry of a stored `ci360_event`: post the same body again. A body stored before events carried
 * `connector_event_id` gets the row's `guid`, the key the first attempt would have used.
 */
export const retryCi360Event: RetryHandler = async ({ deps, tenant, row }) => {
  const event = storedEvent(row.event_body)
  if (!event) {
    // A body that never parses would fail the same way on every run: end it now, with the reason.
    deps.log.error('stored ci360_event is corrupt; not sent')
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
  return retryOutcomeOf(result.error)
}

/** A `ci360_event` row: an event for CI360 (a webhook's, or a bulk job's end), tracked on its stored event. */
export const ci360EventKind: RetryKind = {
  outbound: false,
  retry: retryCi360Event,
  tracked: () => true,
}

/** The stored body as a CI360 event, or undefined when it is not one. */
function storedEvent(body: string): Ci360Event | undefined {
  const value = safeJsonParse(body)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return typeof (value as { eventName?: unknown }).eventName === 'string' ? (value as Ci360Event) : undefined
}
