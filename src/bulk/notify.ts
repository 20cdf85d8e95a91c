import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { describeError } from '../lib/log'
import { sendCi360Event } from '../outbox/ci360-event'
import type { BulkJobEnd } from '../storage/bulk-jobs'

/** The job fields a CI360 event needs. */
export interface EndedJob {
  jobId: string
  responseTrackingCode: string | null
  uploadFilename: string
  s3Uri: string
}

/**
 * Tell CI360 how a job ended (docs/bulk-s3.md): `bulk_completed_event` or `bulk_failed_event`, when the
 * tenant set it. A failed injection is stored as a `ci360_event` failed request (key `bulk:<job_id>`, so
 * a repeated call stores it once) and retried by the cron. Never throws: the job's outcome is already
 * stored, and a missing CI360 configuration is logged.
 */
export async function notifyJobEnd(
  ctx: RequestContext,
  tenant: TenantConfig,
  job: EndedJob,
  end: BulkJobEnd,
): Promise<'OK' | 'QUEUED' | 'NOT_CONFIGURED' | 'FAILED'> {
  const name = end.state === 'done' ? tenant.settings.bulk_completed_event : tenant.settings.bulk_failed_event
  if (!name) return 'NOT_CONFIGURED'
  const event: Ci360Event = {
    eventName: name,
    ...(job.responseTrackingCode ? { responseTrackingCode: job.responseTrackingCode } : {}),
    upload_filename: job.uploadFilename,
    ...(end.state === 'done' ? { s3_uri: job.s3Uri, bytes: String(end.bytes) } : { error_code: end.code }),
  }
  try {
    const sent = await sendCi360Event(ctx, tenant.id, ctx.ci360(tenant), `bulk:${job.jobId}`, event)
    return sent.status === 'SENT' ? 'OK' : 'QUEUED'
  } catch (e) {
    ctx.log.error('bulk job event not sent', { job_id: job.jobId, event_name: name, ...describeError(e) })
    return 'FAILED'
  }
}
