import type { Ci360Event } from '../ci360/client'
import type { RetryHandler } from './types'

/** Retry of a stored `ci360_event`: post the same body again. */
export const retryCi360Event: RetryHandler = async ({ deps, tenant, row }) => {
  const event = JSON.parse(row.event_body) as Ci360Event
  const result = await deps.ci360(tenant).send(event)
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
