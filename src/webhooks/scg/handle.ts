import { ci360ConfigOf } from '../../ci360/client'
import { injectOrQueue } from '../../ci360/inject'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import { guard } from '../../lib/app-error'
import type { Logger } from '../../lib/log'
import type { ScgDelivery } from '../../providers/scg/webhook'
import { createDeliveryStore } from '../../storage/deliveries'
import { handleOnce } from '../once'
import { planMo } from './mo'
import type { EventPlan } from './plan'
import { planStatus } from './status'

export type ScgWebhookStatus = 'OK' | 'QUEUED' | 'DUPLICATE' | 'IGNORED'

/** The 200 reply to Event Manager (errors are thrown as `AppError`). */
export interface ScgWebhookReply {
  status: ScgWebhookStatus
  event_id: string
  reason?: string
  retry_at?: string
}

/**
 * One Event Manager delivery (DESIGN §2.2), after authentication. `route` is the tenant of
 * `/v1/webhooks/scg/:tenant`, undefined on the global route. The event id is claimed in D1 before
 * anything is written or injected, so a redelivery is answered `DUPLICATE` and injects nothing; when
 * the outcome cannot be made durable the claim is released and the answer is 503.
 */
export async function handleScgDelivery(
  deps: Deps,
  log: Logger,
  route: TenantConfig | undefined,
  delivery: ScgDelivery,
): Promise<ScgWebhookReply> {
  const eventId = delivery.eventId
  const plan: EventPlan =
    delivery.kind === 'status'
      ? await guard(() => planStatus(deps, log, route, delivery.fields))
      : delivery.kind === 'mo'
        ? await guard(() => planMo(deps, log, route, delivery.fields))
        : { kind: 'ignore', reason: `event type ${delivery.eventType.slice(0, 60)} is not handled` }

  if (plan.kind === 'ignore') {
    log.info('scg event ignored', { reason: plan.reason })
    if (plan.tenantId) deps.inbound?.setTenant(plan.tenantId)
    return { status: 'IGNORED', event_id: eventId, reason: plan.reason }
  }
  const { tenant, event, history } = plan
  // A tenant without CI360 settings is a configuration error (500): nothing is claimed, so the
  // redelivery after the fix is processed.
  if (event) ci360ConfigOf(tenant)

  const once = await handleOnce(
    deps.db,
    log,
    { source: 'scg', key: eventId, tenantId: tenant.id, now: deps.now(), recording: deps.inbound },
    async (): Promise<ScgWebhookReply> => {
      if (history) {
        const deliveries = createDeliveryStore(deps.db)
        await deliveries.exec('deliveries.providerStatus', [
          deliveries.providerStatus(tenant.id, history.row.guid, history.status, deps.now(), history.detail),
        ])
        log.info('scg status recorded', { guid: history.row.guid, provider_status: history.status })
      }
      const injected = event ? await injectOrQueue(deps, log, tenant, `scg:${eventId}`, event) : undefined
      if (!injected)
        return { status: 'IGNORED', event_id: eventId, reason: plan.reason ?? 'no event to send' }
      if (injected.status === 'OK') return { status: 'OK', event_id: eventId }
      return {
        status: 'QUEUED',
        event_id: eventId,
        ...(injected.retryAt ? { retry_at: new Date(injected.retryAt).toISOString() } : {}),
      }
    },
  )
  if (once.duplicate) {
    log.info('scg event duplicate')
    return { status: 'DUPLICATE', event_id: eventId }
  }
  if (once.result.reason) log.info('scg event not sent to CI360', { reason: once.result.reason })
  return once.result
}
