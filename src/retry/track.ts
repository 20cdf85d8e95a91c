import type { Deps } from '../deps'
import type { FailedRequestRow } from '../storage/failed-requests'
import type { InboundState } from '../storage/inbound-events'
import type { RetryOutcome } from './types'

const EVENT_STATE: Record<RetryOutcome['result'], InboundState> = {
  done: 'injected',
  retry: 'queued',
  deferred: 'queued',
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
