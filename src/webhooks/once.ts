import { guard } from '../lib/app-error'
import { describeError, type Logger } from '../lib/log'
import { createWebhookEventStore, type WebhookSource } from '../storage/webhook-events'
import type { InboundRecording } from './recording'

export type Once<T> = { duplicate: true } | { duplicate: false; result: T }

/**
 * Handle one webhook delivery at most once (DESIGN §2.2, §2.4): claim its key in D1, run `work`, note
 * the outcome for operators. A redelivery of a claimed key gets `{duplicate: true}` without running
 * `work`. If `work` throws (e.g. D1 failed while storing a failed request), the claim is released so the
 * provider's redelivery is processed in full, and a D1 failure becomes 503.
 * With a `recording`, the stored event is written in the claim's batch and its outcome in the outcome's
 * batch; a replay skips the claim (the operator asked for the event to run again).
 */
export async function handleOnce<T extends { status: string }>(
  db: D1Database,
  log: Logger,
  claim: { source: WebhookSource; key: string; tenantId: string; now: number; recording?: InboundRecording },
  work: () => Promise<T>,
): Promise<Once<T>> {
  const store = createWebhookEventStore(db)
  const { source, key, recording } = claim
  recording?.setTenant(claim.tenantId)
  if (recording?.replay) return { duplicate: false, result: await guard(work) }
  const record = recording?.claimStatement(source)
  if (!(await guard(() => store.claim(source, key, claim.tenantId, claim.now, record ? [record] : []))))
    return { duplicate: true }
  let result: T
  try {
    result = await guard(work)
  } catch (e) {
    await store
      .release(source, key)
      .catch((re: unknown) => log.error('webhook claim release failed', describeError(re)))
    await recording?.finish('ERROR')
    throw e
  }
  // For operators only: failing to note the outcome must not undo a handled event.
  await store
    .setOutcome(source, key, result.status, recording?.outcomeStatements(result.status))
    .catch((e: unknown) => {
      log.warn('webhook outcome not recorded', describeError(e))
    })
  return { duplicate: false, result }
}
