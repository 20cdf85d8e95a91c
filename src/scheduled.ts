import type { Deps } from './deps'
import { failedRequestKinds } from './failed-request-kinds'
import { checkSlowDelivery } from './failover/slow-delivery'
import { requeueLost } from './pacing/requeue'
import { CRON_LIMITS, type CronLimits, type CronReport, runCron } from './retry/cron'

/**
 * A cron run's report, with the paced sends it put back on the queue (docs/pacing.md) and the breakers
 * slow delivery opened (docs/guarantees.md).
 */
export type ScheduledReport = CronReport & { requeued: number; slowBreakers: string[] }

/**
 * The every-minute cron (`retry/cron.ts`) with every failed-request kind of the connector, then the
 * paced sends whose queue message was lost go back on the queue, then the providers whose deliveries
 * are slow get their breakers opened.
 */
export async function runScheduled(
  deps: Deps,
  scheduledTime: number,
  limits: CronLimits = CRON_LIMITS,
): Promise<ScheduledReport> {
  const report = await runCron(deps, failedRequestKinds, scheduledTime, limits)
  let requeued = 0
  try {
    requeued = await requeueLost(deps)
  } catch (e) {
    deps.log.error('lost queued sends not checked', { error: e instanceof Error ? e.name : 'unknown' })
  }
  let slowBreakers: string[] = []
  try {
    slowBreakers = await checkSlowDelivery(deps)
  } catch (e) {
    deps.log.error('slow-delivery check failed', { error: e instanceof Error ? e.name : 'unknown' })
  }
  return { ...report, requeued, slowBreakers }
}
