import { Hono } from 'hono/tiny'
import { acceptBulkJob } from '../bulk/accept'
import { readJob } from '../bulk/jobs'
import { handleBulkS3 } from '../bulk/sync'
import { publicOrigin } from '../config/origin'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import type * as R from '../openapi/replies'

/**
 * CI360 bulk custom task endpoint: copy the exported file into S3, on the `BULK_COPY` Workflow
 * (`bulk_mode=async`, 202) or inside the request (`bulk_mode=sync`, 200); docs/bulk-s3.md.
 */
export const bulkRoutes = new Hono<AppEnv>()
  .post('/v1/tenants/:tenant/bulk/s3', requireTenantKey('api_keys'), async (c) => {
    const { json } = await readJsonBody(c.req.raw)
    const ctx = c.get('deps')
    const tenant = c.get('tenant')
    if (tenant.settings.bulk_mode === 'sync') {
      return reply(c, 200, schema<typeof R.BulkReply>(), await handleBulkS3(ctx, { tenant, body: json }))
    }
    const origin = publicOrigin(tenant.settings, c.req.url)
    const accepted = await acceptBulkJob(ctx, { tenant, body: json, origin })
    return c.json(accepted.body, accepted.status)
  })
  .get('/v1/tenants/:tenant/bulk/jobs/:job_id', requireTenantKey('api_keys', 'admin_api_keys'), async (c) => {
    const job = await readJob(c.get('deps'), c.get('tenant').id, c.req.param('job_id'))
    return reply(c, 200, schema<typeof R.BulkJobReply>(), { status: 'OK', job })
  })
