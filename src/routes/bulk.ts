import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import { handleBulkS3 } from '../s3/bulk'

/** CI360 bulk custom task endpoint: copy the exported file into S3. */
export const bulkRoutes = new Hono<AppEnv>().post(
  '/v1/tenants/:tenant/bulk/s3',
  requireTenantKey('api_keys'),
  async (c) => {
    const { json } = await readJsonBody(c.req.raw)
    const reply = await handleBulkS3(c.get('deps'), { tenant: c.get('tenant'), body: json })
    return c.json(reply, 200)
  },
)
