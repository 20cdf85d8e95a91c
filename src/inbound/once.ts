import { afterReply, type Runtime } from '../deps'
import { guard } from '../lib/app-error'
import { describeError } from '../lib/log'
import type { WebhookEventStore, WebhookSource } from '../storage/webhook-events'

export type Once<T> = { duplicate: true } | { duplicate: false; result: T }

/**
 * Handle one webhook delivery at most once: claim its key in D1, run `work`, note
 * the outcome for operators. A redelivery of a claimed key gets `{duplicate: true}` without running
 * `work`. If `work` throws (e.g. D1 failed while storing a failed request), the claim is released so the
 * provider's redelivery is processed in full, and a D1 failure becomes 503.
 */
export async function handleOnce<T extends { status: string }>(
  store: WebhookEventStore,
  ctx: Pick<Runtime, 'log' | 'waitUntil'>,
  claim: { source: WebhookSource; key: string; tenantId: string; now: number; also?: D1PreparedStatement[] },
  work: () => Promise<T>,
): Promise<Once<T>> {
  const { source, key } = claim
  const { log } = ctx
  if (!(await guard(() => store.claim(source, key, claim.tenantId, claim.now, claim.also))))
    return { duplicate: true }
  let result: T
  try {
    result = await guard(work)
  } catch (e) {
    await store
      .release(source, key)
      .catch((re: unknown) => log.error('webhook claim release failed', describeError(re)))
    throw e
  }
  // For operators only, so after the reply: failing to note the outcome must not undo a handled event.
  await afterReply(ctx, () =>
    store.setOutcome(source, key, result.status).catch((e: unknown) => {
      log.warn('webhook outcome not recorded', describeError(e))
    }),
  )
  return { duplicate: false, result }
}
