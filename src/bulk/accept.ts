import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { AppError, guard } from '../lib/app-error'
import { describeError } from '../lib/log'
import type { bulkAcceptReplies, Reply } from '../openapi/reply'
import type { BulkJobParams } from './params'
import { parseBulkRequest } from './request'
import { s3Target } from './sync'
import { bulkTracking } from './tracking'

export type AcceptReply = Reply<typeof bulkAcceptReplies>

export const jobPath = (tenantId: string, jobId: string) =>
  `/v1/tenants/${encodeURIComponent(tenantId)}/bulk/jobs/${encodeURIComponent(jobId)}`

/**
 * `bulk_mode=async` (docs/bulk-s3.md): the same checks as the synchronous copy (nothing is fetched), then
 * a `bulk_jobs` row (the dedupe claim) and a `BULK_COPY` instance, answered 202 without waiting for a
 * byte. A redelivery of the same webhook gets 200 DUPLICATE with the first job's id.
 */
export async function acceptBulkJob(
  deps: RequestContext,
  { tenant, body, origin }: { tenant: TenantConfig; body: unknown; origin: string },
): Promise<AcceptReply> {
  const { log } = deps
  const request = parseBulkRequest(body, tenant)
  const target = s3Target(deps, tenant)
  const workflow = deps.bulkCopy
  if (!workflow) {
    throw new AppError('CONFIG_INVALID', 'Bulk S3 is not configured: the BULK_COPY Workflow is not bound.')
  }
  const tracking = bulkTracking(body)
  const jobs = deps.stores.bulkJobs
  const jobId = crypto.randomUUID()
  const { created, row } = await guard(() =>
    jobs.claim({
      jobId,
      tenantId: tenant.id,
      dedupeKey: tracking.dedupeKey ?? `job:${jobId}`,
      responseTrackingCode: tracking.responseTrackingCode,
      uploadFilename: request.data.key,
      bucketName: target.bucket,
      now: deps.now(),
    }),
  )
  const statusUrl = `${origin}${jobPath(tenant.id, row.job_id)}`
  if (!created) {
    log.info('bulk job redelivered', { job_id: row.job_id, state: row.state })
    return {
      status: 200,
      body: { status: 'DUPLICATE', job_id: row.job_id, status_url: statusUrl, state: row.state },
    }
  }
  const params: BulkJobParams = {
    jobId,
    tenantId: tenant.id,
    files: request.metadata ? [request.data, request.metadata] : [request.data],
    responseTrackingCode: tracking.responseTrackingCode,
  }
  try {
    await workflow.create({ id: jobId, params })
  } catch (cause) {
    // Nothing runs for this row: forget it so CI360's redelivery starts the job afresh.
    log.error('bulk job not started', { job_id: jobId, ...describeError(cause) })
    await guard(() => jobs.remove(jobId))
    throw new AppError('STORAGE_UNAVAILABLE', 'The copy could not be started; redeliver the request later.', {
      cause,
    })
  }
  log.info('bulk job queued', { job_id: jobId, files: params.files.length })
  return { status: 202, body: { status: 'QUEUED', job_id: jobId, status_url: statusUrl } }
}
