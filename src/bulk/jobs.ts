import type { RequestContext } from '../deps'
import { AppError, guard } from '../lib/app-error'
import type { BulkJobReply } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import type { BulkJobRow } from '../storage/bulk-jobs'

/** The job body of `GET …/bulk/jobs/:job_id` (docs/bulk-s3.md). */
export type JobView = Body<typeof BulkJobReply>['job']

export function jobView(row: BulkJobRow): JobView {
  return {
    job_id: row.job_id,
    state: row.state,
    upload_filename: row.upload_filename,
    bucket_name: row.bucket_name,
    s3_uri: `s3://${row.bucket_name}/${row.upload_filename}`,
    bytes: row.bytes,
    parts: row.parts,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  }
}

/** One job of this tenant; another tenant's job is as unknown as a job that never existed. */
export async function readJob(deps: RequestContext, tenantId: string, jobId: string): Promise<JobView> {
  const row = await guard(() => deps.stores.bulkJobs.get(tenantId, jobId))
  if (!row) throw new AppError('NOT_FOUND', 'No bulk job with this job_id for this tenant.')
  return jobView(row)
}
