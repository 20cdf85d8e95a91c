import type { OutboundEvent } from '../ci360/event'
import { type QuietDecision, quietHoursDecision } from '../compliance/quiet-hours'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { storageUnavailable } from '../lib/app-error'
import { describeError, type Logger, maskPhone } from '../lib/log'
import type { PreparedOutbound, Reply } from './types'

/** A send quiet hours holds: the window's end in every recipient zone, and when to send. */
export type QuietHold = Extract<QuietDecision, { hold: true }>

/** The CI360 task's id (`impression.taskId`), matched against `quiet_hours.exempt` with the externalCode. */
const taskIdOf = (event: OutboundEvent): string | undefined => {
  const id = (event.impression as { taskId?: unknown }).taskId
  return typeof id === 'string' ? id : undefined
}

/**
 * Whether quiet hours hold this CI360 send at `now` (docs/compliance.md, "Quiet hours"); undefined
 * when the tenant has none, the task is exempt, the recipient is outside the window or its zone unknown.
 */
export function quietHoldOf(
  tenant: TenantConfig,
  event: OutboundEvent,
  prepared: PreparedOutbound,
  now: number,
  log: Logger,
): QuietHold | undefined {
  const q = tenant.settings.quiet_hours
  if (!q) return undefined
  const d = quietHoursDecision(
    q,
    {
      phone: prepared.message.phone,
      guid: event.guid,
      task: [event.properties?.externalCode, taskIdOf(event)],
      // The deadline is the window's end + event_ttl: the spread stays well inside it.
      spreadMs: Math.max(0, tenant.settings.event_ttl * 1000 - 2 * 60_000),
    },
    now,
  )
  if (d.hold) return d
  if (d.reason === 'zone_unknown') log.warn('quiet hours: recipient zone unknown; not held')
  return undefined
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Why the delivery waits, for its history and the failed request's `last_error`. */
export const deferredDetail = (hold: QuietHold) =>
  `quiet hours: held until ${iso(hold.sendAt)} (window ends ${iso(hold.windowEnd)})`

export interface Deferral {
  tenant: TenantConfig
  prepared: PreparedOutbound
  hold: QuietHold
  /** The request as received: the cron sends it from this. */
  bodyText: string
  origin: string | undefined
  /** The claim was taken over from a Worker that died mid-send: the cron looks before it sends. */
  takeover: boolean
}

/**
 * Store a claimed send for the cron instead of sending it: a failed request of the provider's kind,
 * due at `send_at`, whose deadline counts from the window's end (its `generated_timestamp`), and the
 * delivery `deferred`, in one batch. Answers 202 `DEFERRED`. When D1 fails the claim is released and
 * `STORAGE_UNAVAILABLE` (503) is thrown, so CI360 redelivers.
 */
export async function deferSend(deps: RequestContext, d: Deferral): Promise<Reply> {
  const { log } = deps
  const { tenant, prepared, hold } = d
  const { guid } = prepared.correlation
  const now = deps.now()
  const deliveries = deps.stores.deliveries
  const detail = deferredDetail(hold)
  try {
    await deliveries.exec('outbound.deferred', [
      deps.stores.failedRequests.insert({
        tenantId: tenant.id,
        kind: prepared.provider.id,
        guid,
        generatedTimestamp: hold.windowEnd,
        eventBody: d.bodyText,
        ...(d.origin ? { meta: { origin: d.origin } } : {}),
        httpStatus: null,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: hold.sendAt,
        lastError: detail,
        now,
      }),
      deliveries.transition(tenant.id, guid, {
        state: 'deferred',
        now,
        attempted: false,
        detail,
        ...(d.takeover ? { outcomeUnknown: true } : {}),
      }),
    ])
  } catch (e) {
    log.error('could not store a deferred send', describeError(e))
    await deliveries
      .release(tenant.id, guid)
      .catch((re: unknown) => log.error('claim release failed', describeError(re)))
    throw storageUnavailable(e)
  }
  log.info('outbound deferred', {
    to: maskPhone(prepared.message.to),
    send_at: iso(hold.sendAt),
    zones: hold.zones.length,
  })
  return { status: 202, body: { status: 'DEFERRED', guid, send_at: iso(hold.sendAt) } }
}
