import { ci360ConfigOf } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { guard } from '../lib/app-error'
import { webhookFormats } from '../providers/registry'
import type { InboundEvent, InboundOutcome, InboundSource } from '../providers/types'
import { act } from './act'
import { planMo } from './mo'
import { handleOnce } from './once'
import { type InboundPlan, ignore } from './plan'
import { planStatus } from './status'

/** One webhook delivery whose sender is already verified (or a stored one being run again). */
export interface InboundDelivery {
  source: InboundSource
  /** The tenant of the route it arrived on; undefined on SCG's global route. */
  route: TenantConfig | undefined
  rawBody: string
  headers: Headers
}

export interface InboundResult {
  event: InboundEvent
  outcome: InboundOutcome
  /** The source's JSON reply for the outcome. */
  reply: Record<string, unknown>
}

/**
 * The one flow of every provider webhook (docs/architecture.md, "Inbound"): parse into our event,
 * plan (lookups only), claim the delivery once in D1, act (record the provider status, inject into
 * CI360 or queue), reply. A redelivery of a claimed key is `DUPLICATE` and does nothing. Bad input
 * throws `AppError` (400); storage down throws 503 so the provider redelivers.
 */
export async function handleInbound(deps: Deps, delivery: InboundDelivery): Promise<InboundResult> {
  const format = webhookFormats[delivery.source]
  const event = format.parse(delivery.rawBody, delivery.headers)
  const log = deps.log.child({ webhook: delivery.source, tenant: delivery.route?.id, ...event.logFields })
  const ctx = { ...deps, log }
  const done = (outcome: InboundOutcome): InboundResult => {
    // One line per event: the status recorded for `guid` (if any) and the CI360 event sent (if any).
    log.info('webhook event handled', {
      outcome: outcome.status,
      reason: outcome.reason,
      guid: outcome.guid,
      event_name: outcome.eventName,
    })
    return { event, outcome, reply: format.reply(event, outcome) }
  }

  const plan: InboundPlan =
    event.type === 'status'
      ? await guard(() => planStatus(ctx, format, delivery.route, event))
      : event.type === 'mo'
        ? await guard(() => planMo(ctx, format, delivery.route, event))
        : ignore(event.reason)
  if (plan.kind === 'ignore') return done({ status: 'IGNORED', reason: plan.reason, attempts: [] })
  // A tenant without CI360 settings is a configuration error (500): nothing is claimed, so the
  // redelivery after the fix is processed.
  if (plan.event) ci360ConfigOf(plan.tenant)

  // The provider status goes into the claim's batch: one round trip, and only the first delivery adds it.
  const { history } = plan
  const now = deps.now()
  const also = history
    ? [
        deps.stores.deliveries.providerStatus(
          plan.tenant.id,
          history.guid,
          history.status,
          now,
          history.detail,
          true,
        ),
      ]
    : []
  const once = await handleOnce(
    deps.stores.webhookEvents,
    ctx,
    { source: format.provider, key: event.key, tenantId: plan.tenant.id, now, also },
    () => act(ctx, format.provider, event.key, plan),
  )
  return done(once.duplicate ? { status: 'DUPLICATE', attempts: [] } : once.result)
}
