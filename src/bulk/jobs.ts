import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import type { Deps } from '../deps'
import { AppError, guard } from '../lib/app-error'
import { matchesAny, safeEqual } from '../lib/crypto'
import { type BulkJobRow, createBulkJobStore } from '../storage/bulk-jobs'

/** DESIGN §2.5's job body. */
export interface JobView {
  job_id: string
  state: BulkJobRow['state']
  upload_filename: string
  bucket_name: string
  s3_uri: string
  bytes: number | null
  parts: number | null
  error: { code: string; message: string } | null
  created_at: string
  updated_at: string
}

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
export async function readJob(deps: Deps, tenantId: string, jobId: string): Promise<JobView> {
  const row = await guard(() => createBulkJobStore(deps.db).get(tenantId, jobId))
  if (!row) throw new AppError('NOT_FOUND', 404, 'No bulk job with this job_id for this tenant.')
  return jobView(row)
}

const unauthorized = () => new AppError('UNAUTHORIZED', 401, 'Missing or invalid x-api-key for this tenant.')

/**
 * `x-api-key` of the `:tenant` path parameter, either realm: CI360 polls with the key it posted the
 * webhook with, operators with theirs. Constant-time; unknown tenant and wrong key get the same 401.
 */
export const requireJobReader: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenant = c.get('deps').config.tenant(c.req.param('tenant') ?? '')
  const key = c.req.header('x-api-key') ?? ''
  if (!tenant) {
    await safeEqual(key, 'no-such-tenant')
    throw unauthorized()
  }
  const keys = [...tenant.secrets.api_keys, ...tenant.secrets.admin_api_keys]
  if (key === '' || !(await matchesAny(key, keys))) throw unauthorized()
  c.set('tenant', tenant)
  c.set('log', c.get('log').child({ tenant: tenant.id }))
  await next()
}
