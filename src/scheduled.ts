import type { Deps } from './deps'
import { failedRequestKinds } from './failed-request-kinds'
import { CRON_LIMITS, type CronLimits, type CronReport, runCron } from './retry/cron'

/** The every-minute cron (`retry/cron.ts`) with every failed-request kind of the connector. */
export const runScheduled = (
  deps: Deps,
  scheduledTime: number,
  limits: CronLimits = CRON_LIMITS,
): Promise<CronReport> => runCron(deps, failedRequestKinds, scheduledTime, limits)
