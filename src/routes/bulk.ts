import { Hono } from 'hono/tiny'
import type { AppEnv } from '../app-env'
import { acceptBulkJob } from '../bulk/accept'
import { readJob, requireJobReader } from '../bulk/jobs'
import { requireTenantKey } from '../lib/auth'
import { readJsonBody } from '../lib/http'
import { publicOrigin } from '../lib/origin'
import { handleBulkS3 } from '../s3/bulk'

/** CI360 bulk custom task endpoint (DESIGN §2.5): copy the exported file into S3. */
export const bulkRoutes = new Hono<AppEnv>()
  .post('/v1/tenants/:tenant/bulk/s3', requireTenantKey('api_keys'), async (c) => {
    const { json } = await readJsonBody(c.req.raw)
    const tenant = c.get('tenant')
    if (tenant.settings.bulk_mode === 'sync') {
      return c.json(await handleBulkS3(c.get('deps'), c.get('log'), tenant, json), 200)
    }
    const origin = publicOrigin(tenant.settings, c.req.url)
    const reply = await acceptBulkJob(c.get('deps'), c.get('log'), tenant, json, origin)
    return c.json(reply.body, reply.httpStatus)
  })
  .get('/v1/tenants/:tenant/bulk/jobs/:job_id', requireJobReader, async (c) => {
    const job = await readJob(c.get('deps'), c.get('tenant').id, c.req.param('job_id'))
    return c.json({ status: 'OK' as const, job }, 200)
  })
