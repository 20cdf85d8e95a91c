import type { Deps } from '../deps'
import { forwardOrQueue } from '../genesys/forward'
import { requeueAfterReceipt } from '../pacing/requeue'
import type { InboundOutcome, ProviderId } from '../providers/types'
import { injectOrQueue, injectResultOf } from './inject'
import { applyKeyword } from './opt-out'
import type { InboundPlan } from './plan'

type ActPlan = Extract<InboundPlan, { kind: 'act' }>

/**
 * Carry out a plan once its delivery is claimed (the provider status is written with the claim, see
 * `flow.ts`): record a customer's opt-out or opt-in (`opt-out.ts`), then inject the CI360 event or
 * post the Genesys call, or store it for the cron when the call fails. Each call is reported in
 * `attempts`. Throws `StorageError` when the outcome cannot be made durable (the claim is then
 * released).
 */
export async function act(
  deps: Deps,
  provider: ProviderId,
  key: string,
  plan: ActPlan,
): Promise<InboundOutcome> {
  const { tenant, event } = plan
  const base = { ...(plan.guid ? { guid: plan.guid } : {}), attempts: [] }
  // A paced message failed for its sender's rate: its row is `accepted` again (with the claim).
  if (plan.history?.requeue) await requeueAfterReceipt(deps, tenant, plan.history.guid, plan.history.requeue)
  // The opt-out first: it must hold even if the message itself cannot be passed on.
  const opted = plan.keyword && (await applyKeyword(deps, tenant, provider, key, plan.keyword))
  const optAttempts = opted ? [opted.attempt] : []
  const call = plan.genesys
  const passed = call
    ? injectResultOf(await forwardOrQueue(deps, tenant, `${provider}:${key}`, call))
    : event && (await injectOrQueue(deps, tenant, `${provider}:${key}`, event))
  if (!passed) {
    // A keyword from a sender whose message goes nowhere: the list changed, so the delivery was handled.
    if (plan.keyword)
      return {
        ...base,
        status: opted?.status ?? 'OK',
        ...(opted?.retryAt ? { retryAt: opted.retryAt } : {}),
        attempts: optAttempts,
      }
    return { ...base, status: 'IGNORED', reason: plan.reason ?? 'no event to send' }
  }
  return {
    ...base,
    status: passed.status,
    ...(event ? { eventName: event.eventName } : {}),
    ...(passed.retryAt ? { retryAt: passed.retryAt } : {}),
    attempts: [passed.attempt, ...optAttempts],
  }
}
