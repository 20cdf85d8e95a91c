import type { Result } from '../lib/result'
import type { TrackingEntry } from '../storage/inbound-events'
import type { UpstreamAttempt } from '../upstream/attempt'
import type { UpstreamError, UpstreamId } from '../upstream/error'

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

/** A call made, as an entry of a stored webhook event's tracking list (docs/console.md). */
export const attemptEntry = (a: UpstreamAttempt): TrackingEntry => ({
  at: new Date(a.at).toISOString(),
  target: a.upstream,
  http_status: a.http_status,
  latency_ms: a.latency_ms,
  outcome: a.ok ? 'OK' : 'ERROR',
})
