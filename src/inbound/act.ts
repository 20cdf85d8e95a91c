import type { Deps } from '../deps'
import type { InboundOutcome, ProviderId } from '../providers/types'
import { forwardOrQueue, injectOrQueue } from './inject'
import type { InboundPlan } from './plan'

type ActPlan = Extract<InboundPlan, { kind: 'act' }>

/**
 * Carry out a plan once its delivery is claimed: add the provider status to our delivery's history, then
 * inject the CI360 event or post the Genesys call, or store it for the cron when CI360 fails. Each CI360 call is reported in
 * `attempts`. Throws `StorageError` when the outcome cannot be made durable (the claim is then released).
 */
export async function act(
  deps: Deps,
  provider: ProviderId,
  key: string,
  plan: ActPlan,
): Promise<InboundOutcome> {
  const { tenant, event, history } = plan
  const base = { ...(plan.guid ? { guid: plan.guid } : {}), attempts: [] }
  if (history) {
    const deliveries = deps.stores.deliveries
    await deliveries.exec('deliveries.providerStatus', [
      deliveries.providerStatus(
        tenant.id,
        history.guid,
        history.status,
        deps.now(),
        history.detail,
        history.apply,
      ),
    ])
    deps.log.info('provider status recorded', { guid: history.guid, provider_status: history.status })
  }
  const call = plan.genesys
  const passed = call
    ? await forwardOrQueue(deps, deps.log, tenant, `${provider}:${key}`, call)
    : event && (await injectOrQueue(deps, deps.log, tenant, `${provider}:${key}`, event))
  if (!passed) return { ...base, status: 'IGNORED', reason: plan.reason ?? 'no event to send' }
  return {
    ...base,
    status: passed.status,
    ...(event ? { eventName: event.eventName } : {}),
    ...(passed.retryAt ? { retryAt: passed.retryAt } : {}),
    attempts: [passed.attempt],
  }
}
