import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { sendCi360Event } from '../outbox/ci360-event'
import type { SendOutcome } from '../outbox/outcome'
import type { UpstreamAttempt } from '../providers/types'

export interface InjectResult {
  /** `OK`: the upstream accepted it. `QUEUED`: stored in `failed_requests` for the cron. */
  status: 'OK' | 'QUEUED'
  /** Absent when the failure was permanent (stored `dead`). */
  retryAt?: number
  /** The call made, as the operator's event viewer shows it. */
  attempt: UpstreamAttempt
}

/** An outbox outcome as the inbound flow reports it: a permanent failure is `QUEUED` too (stored dead). */
export function injectResultOf(o: SendOutcome<unknown>): InjectResult {
  switch (o.status) {
    case 'SENT':
      return { status: 'OK', attempt: o.attempt }
    case 'QUEUED':
      return { status: 'QUEUED', retryAt: o.retryAt, attempt: o.attempt }
    case 'REJECTED':
      return { status: 'QUEUED', attempt: o.attempt }
  }
}

/**
 * Send an event to the tenant's CI360 gateway, or store it as a `ci360_event` failed request (the
 * outbox). `key` identifies the webhook delivery (`scg:<event-id>`, `twilio:<sid>:<status>`) and makes
 * the store idempotent. Throws `StorageError` only when the event could be neither sent nor stored.
 * The event sent and stored carries `connector_event_id` = `key`, so its retries send the same id.
 */
export const injectOrQueue = async (
  ctx: RequestContext,
  tenant: TenantConfig,
  key: string,
  event: Ci360Event,
): Promise<InjectResult> =>
  injectResultOf(await sendCi360Event(ctx, tenant.id, ctx.ci360(tenant), key, event))
