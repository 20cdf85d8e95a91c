import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'
import { handleBulkS3 } from '../s3/bulk'
import { BulkBodySchema } from '../s3/bulk-request'

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

/** The bulk route. */
export const bulkOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/tenants/{tenant}/bulk/s3',
    summary: 'CI360 bulk custom task → stream the export file into S3',
    tag: 'Bulk',
    security: 'apiKey',
    params: [tenantParam],
    body: [
      { type: 'application/json', schema: BulkBodySchema },
      { type: 'text/plain', schema: BulkBodySchema },
    ],
    responses: {
      '200': { description: 'Copied byte for byte', schema: R.BulkReply },
      ...common,
      '400': err('A bad field, an unsafe s3_filename, or a non-https source (VALIDATION_FAILED)'),
      '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
      '500': err('s3_bucket_name or S3 credentials missing (CONFIG_INVALID)'),
      '502': err(
        'Source not 2xx or cut (SOURCE_UNAVAILABLE), or S3 refused (S3_UPLOAD_FAILED, with s3_code)',
      ),
    },
  },
]
