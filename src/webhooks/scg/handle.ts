import { ci360ConfigOf } from '../../ci360/client'
import { type InjectResult, injectOrQueue } from '../../ci360/inject'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import { StorageError, storageUnavailable } from '../../lib/app-error'
import { describeError, type Logger } from '../../lib/log'
import type { ScgDelivery } from '../../providers/scg/webhook'
import { createDeliveryStore } from '../../storage/deliveries'
import { createWebhookEventStore } from '../../storage/webhook-events'
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

/** Run a storage step before anything is claimed; D1 down → 503 so Syniverse redelivers. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof StorageError) throw storageUnavailable(e)
    throw e
  }
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
    return { status: 'IGNORED', event_id: eventId, reason: plan.reason }
  }
  const { tenant, event, history } = plan
  // A tenant without CI360 settings is a configuration error (500): nothing is claimed, so the
  // redelivery after the fix is processed.
  if (event) ci360ConfigOf(tenant)

  const webhookEvents = createWebhookEventStore(deps.db)
  const claimed = await guard(() => webhookEvents.claim('scg', eventId, tenant.id, deps.now()))
  if (!claimed) {
    log.info('scg event duplicate')
    return { status: 'DUPLICATE', event_id: eventId }
  }

  let injected: InjectResult | undefined
  try {
    if (history) {
      const deliveries = createDeliveryStore(deps.db)
      await deliveries.exec('deliveries.providerStatus', [
        deliveries.providerStatus(tenant.id, history.row.guid, history.status, deps.now(), history.detail),
      ])
      log.info('scg status recorded', { guid: history.row.guid, provider_status: history.status })
    }
    if (event) injected = await injectOrQueue(deps, log, tenant, `scg:${eventId}`, event)
  } catch (e) {
    await webhookEvents
      .release('scg', eventId)
      .catch((re: unknown) => log.error('webhook claim release failed', describeError(re)))
    if (e instanceof StorageError) throw storageUnavailable(e)
    throw e
  }

  const reply: ScgWebhookReply = !injected
    ? { status: 'IGNORED', event_id: eventId, reason: plan.reason ?? 'no event to send' }
    : injected.status === 'OK'
      ? { status: 'OK', event_id: eventId }
      : {
          status: 'QUEUED',
          event_id: eventId,
          ...(injected.retryAt ? { retry_at: new Date(injected.retryAt).toISOString() } : {}),
        }
  if (reply.reason) log.info('scg event not sent to CI360', { reason: reply.reason })
  await webhookEvents
    .setOutcome('scg', eventId, reply.status)
    .catch((e: unknown) => log.warn('webhook outcome not recorded', describeError(e)))
  return reply
}
