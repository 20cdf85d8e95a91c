import type { Deps } from '../deps'
import type { InboundOutcome, ProviderId } from '../providers/types'
import { injectOrQueue } from './inject'
import type { InboundPlan } from './plan'

type ActPlan = Extract<InboundPlan, { kind: 'act' }>

/**
 * Carry out a plan once its delivery is claimed (the provider status is written with the claim, see
 * `flow.ts`): inject the CI360 event, or store it for the cron when CI360 fails. Each CI360 call is reported in
 * `attempts`. Throws `StorageError` when the outcome cannot be made durable (the claim is then released).
 */
export async function act(
  deps: Deps,
  provider: ProviderId,
  key: string,
  plan: ActPlan,
): Promise<InboundOutcome> {
  const { tenant, event } = plan
  const base = { ...(plan.guid ? { guid: plan.guid } : {}), attempts: [] }
  if (!event) return { ...base, status: 'IGNORED', reason: plan.reason ?? 'no event to send' }
  const injected = await injectOrQueue(deps, deps.log, tenant, `${provider}:${key}`, event)
  return {
    ...base,
    status: injected.status,
    eventName: event.eventName,
    ...(injected.retryAt ? { retryAt: injected.retryAt } : {}),
    attempts: [injected.attempt],
  }
}
