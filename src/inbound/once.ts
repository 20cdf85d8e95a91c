import { afterReply, type Runtime } from '../deps'
import { guard } from '../lib/app-error'
import { describeError } from '../lib/log'
import type { WebhookEventStore, WebhookSource } from '../storage/webhook-events'

export type Once<T> = { duplicate: true } | { duplicate: false; result: T }

/** Statements written with the claim and with the outcome (the stored event, docs/console.md). */
export interface OnceRecord<T> {
  withClaim: D1PreparedStatement[]
  withOutcome(result: T): D1PreparedStatement[]
  /** `work` threw: note it (best effort; the claim is released and the provider redelivers). */
  failed(): Promise<void>
}

/**
 * Handle one webhook delivery at most once: claim its key (per tenant) in D1, run `work`, note
 * the outcome for operators. A redelivery of a claimed key gets `{duplicate: true}` without running
 * `work`. If `work` throws (e.g. D1 failed while storing a failed request), the claim is released so the
 * provider's redelivery is processed in full, and a D1 failure becomes 503. `record`'s statements ride
 * in the claim's and the outcome's batches, so recording costs no round trip; the outcome's batch is
 * for operators and runs after the reply (docs/scaling.md, "Queries per request (measured)").
 */
export async function handleOnce<T extends { status: string }>(
  store: WebhookEventStore,
  ctx: Pick<Runtime, 'log' | 'waitUntil'>,
  claim: { source: WebhookSource; key: string; tenantId: string; now: number },
  work: () => Promise<T>,
  record?: OnceRecord<T>,
): Promise<Once<T>> {
  const { source, key, tenantId } = claim
  const { log } = ctx
  const claimed = await guard(() => store.claim(source, key, tenantId, claim.now, record?.withClaim))
  if (!claimed) return { duplicate: true }
  let result: T
  try {
    result = await guard(work)
  } catch (e) {
    await store
      .release(source, key, tenantId)
      .catch((re: unknown) => log.error('webhook claim release failed', describeError(re)))
    await record?.failed()
    throw e
  }
  // For operators only, so after the reply: failing to note the outcome must not undo a handled event.
  const outcome = record?.withOutcome(result)
  await afterReply(ctx, () =>
    store.setOutcome(source, key, tenantId, result.status, outcome).catch((e: unknown) => {
      log.warn('webhook outcome not recorded', describeError(e))
    }),
  )
  return { duplicate: false, result }
}
