import type { Deps, RequestContext } from '../deps'
import { forEachLimit } from '../lib/each-limit'
import { describeError, type Logger } from '../lib/log'
import type { FailedRequestState } from '../storage/failed-requests'
import type { PurgedTable, RetentionPolicy } from '../storage/retention'
import { type ContactPreferenceReport, uploadContactPreferences } from './contact-preferences'
import { attemptRow, LEASE_MS } from './engine'
import { settleStuckClaims } from './stuck'
import type { RetryKinds } from './types'

/** Bounds of one run: rows leased per claim, rows per run, attempts in flight at once. */
export interface CronLimits {
  batchSize: number
  maxRows: number
  concurrency: number
}

/**
 * 10 rows per claim, 200 per run (≈ 4 D1 queries each, well under the 1,000 per invocation), 5 at a
 * time (Workers allow 6 open connections per invocation).
 */
export const CRON_LIMITS: CronLimits = { batchSize: 10, maxRows: 200, concurrency: 5 }

/** What a run did (also logged as one line). */
export interface CronReport {
  attempted: number
  states: Record<FailedRequestState, number>
  /** Rows whose result could not be stored (D1 failing); their lease runs out and they come back. */
  errors: number
  /** `sending` claims past their lease, marked `uncertain` (docs/guarantees.md). */
  uncertain: number
  purged: Record<PurgedTable, number>
  /** The CI360 contact-preference upload (docs/compliance.md). */
  contactPreferences: ContactPreferenceReport
}

/**
 * The every-minute cron: retry due failed requests (each by its kind's hooks in `kinds`), upload the due
 * tenants' contact preferences to CI360, then purge rows older than `retention_days`. `scheduledTime`
 * is only logged: every decision uses `deps.now()`, so one injected clock drives the whole engine in
 * tests. Never throws; failures are logged and retried next minute.
 */
export async function runCron(
  deps: Deps,
  kinds: RetryKinds,
  scheduledTime: number,
  limits: CronLimits = CRON_LIMITS,
): Promise<CronReport> {
  const log = deps.log.child({ cron: new Date(scheduledTime).toISOString() })
  // The run's context: the deps with the run's log (the retried rows log on their own, below).
  const ctx = { ...deps, log }
  const report: CronReport = {
    attempted: 0,
    states: { pending: 0, done: 0, dead: 0, expired: 0 },
    errors: 0,
    uncertain: 0,
    purged: { deliveries: 0, failed_requests: 0, webhook_events: 0, inbound_events: 0, bulk_jobs: 0 },
    contactPreferences: { rows: 0, failed: 0 },
  }
  try {
    // Before the retries, so a claim marked uncertain is settled in the same run.
    report.uncertain = await settleStuckClaims(ctx)
  } catch (e) {
    log.error('abandoned-send check failed', describeError(e))
  }
  try {
    await retryDue(deps, kinds, log, limits, report)
  } catch (e) {
    log.error('retry run failed', describeError(e))
  }
  // Never throws: each tenant's failure is logged and backed off on its own.
  report.contactPreferences = await uploadContactPreferences(ctx)
  try {
    report.purged = await deps.stores.retention.purgeExpired(deps.now(), retentionPolicy(ctx))
  } catch (e) {
    log.error('purge failed', describeError(e))
  }
  const { rows, failed } = report.contactPreferences
  if (
    report.attempted > 0 ||
    report.uncertain > 0 ||
    rows > 0 ||
    failed > 0 ||
    Object.values(report.purged).some((n) => n > 0)
  )
    log.info('cron run', { ...report })
  return report
}

async function retryDue(deps: Deps, kinds: RetryKinds, log: Logger, limits: CronLimits, report: CronReport) {
  const leases = deps.stores.leases
  const token = crypto.randomUUID()
  while (report.attempted < limits.maxRows) {
    const now = deps.now()
    const want = Math.min(limits.batchSize, limits.maxRows - report.attempted)
    const rows = await leases.claimDue(now, LEASE_MS, token, want)
    report.attempted += rows.length
    await forEachLimit(rows, limits.concurrency, async (row) => {
      try {
        const result = await attemptRow(deps, kinds, row, token, now)
        report.states[result.stored.state]++
      } catch (e) {
        report.errors++
        log.error('retry result not stored', { failed_request: row.id, ...describeError(e) })
      }
    })
    if (rows.length < want) break
  }
}

/** Global `retention_days`, plus the tenants that override it in their secret. */
function retentionPolicy(ctx: RequestContext): RetentionPolicy {
  const { log } = ctx
  const days = ctx.config.settings.retention_days
  const overrides = new Map<string, number>()
  for (const id of ctx.config.tenantIds()) {
    try {
      const own = ctx.config.tenant(id)?.settings.retention_days
      if (own !== undefined && own !== days) overrides.set(id, own)
    } catch (e) {
      // A tenant secret that does not parse keeps the global retention, and says so.
      log.warn('tenant configuration invalid; global retention_days used', {
        tenant: id,
        retention_days: days,
        ...describeError(e),
      })
    }
  }
  return { days, overrides }
}
