import type { Deps } from '../deps'
import { describeError } from '../lib/log'
import { CopyFailure } from '../s3/copy-failure'
import { createS3Client } from '../s3/s3-client'
import type { BulkJobRow } from '../storage/bulk-jobs'
import { notifyJobEnd } from './notify'
import { s3Target } from './sync'

/** A job silent this long (no step finished) has its instance asked how it is doing. */
export const QUIET_MS = 15 * 60_000
/** A job silent this long is given up even when its instance claims to be alive. */
export const GIVE_UP_MS = 6 * 3_600_000
/** Jobs looked at per cron run (each costs a few subrequests). */
const BATCH = 20
const ALIVE = new Set(['queued', 'running', 'paused', 'waiting', 'waitingForPause'])

/**
 * Cron housekeeping of bulk jobs (docs/bulk-s3.md): a job that has been quiet past `QUIET_MS` and
 * whose Workflow instance is gone (terminated, errored, unknown) or has been quiet past `GIVE_UP_MS`
 * gets its multipart upload aborted (no orphaned parts), its instance terminated, and is marked
 * `failed`; CI360 gets `bulk_failed_event`. Never throws. Returns the jobs it ended.
 */
export async function sweepBulkJobs(deps: Deps): Promise<string[]> {
  const ended: string[] = []
  try {
    const now = deps.now()
    const rows = await deps.stores.bulkJobs.listQuiet(now - QUIET_MS, BATCH)
    for (const row of rows) {
      try {
        if (await sweepOne(deps, row, now)) ended.push(row.job_id)
      } catch (e) {
        deps.log.error('bulk job sweep failed', { job_id: row.job_id, ...describeError(e) })
      }
    }
  } catch (e) {
    deps.log.error('bulk job sweep failed', describeError(e))
  }
  return ended
}

async function sweepOne(deps: Deps, row: BulkJobRow, now: number): Promise<boolean> {
  const status = await instanceStatus(deps, row.job_id)
  if (ALIVE.has(status) && now - row.updated_at < GIVE_UP_MS) return false
  const tenant = deps.config.tenant(row.tenant_id)
  if (ALIVE.has(status)) await (await deps.bulkCopy?.get(row.job_id))?.terminate()
  if (row.upload_id && row.upload_key && tenant) {
    const s3 = createS3Client(s3Target(deps, tenant), deps.fetch, tenant.settings.provider_timeout_ms)
    try {
      await s3.abortMultipartUpload(row.upload_key, row.upload_id)
    } catch (e) {
      if (!(e instanceof CopyFailure && e.code === 'NoSuchUpload')) throw e
    }
  }
  const jobs = deps.stores.bulkJobs
  await jobs.clearUpload(row.job_id, now)
  const end = {
    state: 'failed' as const,
    code: 'INTERNAL',
    message: `The copy stopped before it finished (Workflow instance ${status}); its upload was aborted.`,
  }
  await jobs.finish(row.job_id, end, now)
  deps.log.warn('bulk job abandoned', { job_id: row.job_id, instance_status: status })
  if (tenant) {
    await notifyJobEnd(
      deps,
      tenant,
      {
        jobId: row.job_id,
        responseTrackingCode: row.response_tracking_code,
        uploadFilename: row.upload_filename,
        s3Uri: `s3://${row.bucket_name}/${row.upload_filename}`,
      },
      end,
    )
  }
  return true
}

/** The instance's status, or `unknown` when the engine no longer knows it. */
async function instanceStatus(deps: Deps, jobId: string): Promise<string> {
  if (!deps.bulkCopy) return 'unknown'
  try {
    return (await (await deps.bulkCopy.get(jobId)).status()).status
  } catch {
    return 'unknown'
  }
}
