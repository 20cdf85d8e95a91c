import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { acceptBulkJob } from '../bulk/accept'
import { readJob } from '../bulk/jobs'
import { BulkBodySchema } from '../bulk/request'
import { handleBulkS3 } from '../bulk/sync'
import { publicOrigin } from '../config/origin'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'

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

/** The bulk routes. */
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
      '200': {
        description: 'bulk_mode=sync: copied byte for byte. Async: a redelivery (DUPLICATE, first job_id)',
        schema: z.union([R.BulkReply, R.BulkDuplicate]),
      },
      '202': { description: 'bulk_mode=async (default): the copy job is queued', schema: R.BulkQueued },
      ...common,
      '400': err('A bad field, an unsafe s3_filename, or a source not allowed (VALIDATION_FAILED)'),
      '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
      '500': err('s3_bucket_name, S3 credentials or the BULK_COPY binding missing (CONFIG_INVALID)'),
      '502': err(
        'Sync: source not 2xx or cut (SOURCE_UNAVAILABLE), or S3 refused (S3_UPLOAD_FAILED, with s3_code)',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{tenant}/bulk/jobs/{job_id}',
    summary: 'State of one bulk copy job (CI360 key or admin key of the tenant)',
    tag: 'Bulk',
    security: 'apiKey',
    params: [
      tenantParam,
      { name: 'job_id', in: 'path', description: 'job_id of the 202 reply', schema: z.string() },
    ],
    responses: {
      '200': { description: 'The job', schema: R.BulkJobReply },
      ...common,
      '404': err('No such job for this tenant (NOT_FOUND)'),
    },
  },
]
