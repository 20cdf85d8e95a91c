import { type FakeUrls, S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY } from './constants'

/**
 * The tenant of the asynchronous bulk tests. It lives in the Worker's configured env (vitest.config.ts),
 * because a `BULK_COPY` instance reads its tenant from there. Plain data: also imported by the config.
 */
export const BULK_JOBS_TENANT = {
  id: 'bulkjobs',
  apiKey: 'bulk-jobs-ci360-key',
  adminKey: 'bulk-jobs-admin-key',
  bucket: 'bulk-jobs',
  ci360Prefix: '/ci360-bulk-jobs',
  completedEvent: 'Bulk Copy Completed',
  failedEvent: 'Bulk Copy Failed',
} as const

export function bulkJobsTenantSecret(fakes: FakeUrls): Record<string, string> {
  const t = BULK_JOBS_TENANT
  return {
    [`TENANT_${t.id}`]: JSON.stringify({
      api_keys: [t.apiKey],
      admin_api_keys: [t.adminKey],
      ci360_api_url: `${fakes.ci360}${t.ci360Prefix}/marketingGateway/events`,
      ci360_token: 'ci360-static-bulk-jobs',
      s3_bucket_name: t.bucket,
      s3_endpoint: fakes.s3,
      s3_region: S3_REGION,
      s3_part_size_mb: 5,
      bulk_allow_http_sources: true,
      bulk_completed_event: t.completedEvent,
      bulk_failed_event: t.failedEvent,
      aws_access_key_id: S3_ACCESS_KEY_ID,
      aws_secret_access_key: S3_SECRET_ACCESS_KEY,
      provider_timeout_ms: 5000,
    }),
  }
}
