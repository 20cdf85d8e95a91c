import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { discard, retryNow } from '../admin/actions'
import {
  deliveryRecord,
  failedRequestDetail,
  failedRequestItem,
  pageOf,
  parseListQuery,
} from '../admin/present'
import { idCursor } from '../admin/query'
import { withShard } from '../deps'
import { failedRequestKinds } from '../failed-request-kinds'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { AppError } from '../lib/app-error'
import { FAILED_REQUEST_KINDS, FAILED_REQUEST_STATES } from '../lib/vocabulary'
import { adminOperation, err, type Operation } from '../openapi/operation'
import * as R from '../openapi/replies'
import { retryReplies } from '../openapi/reply'

/**
 * The operator API: failed requests (list, inspect, retry now, discard) and delivery
 * records. Every route takes one of the tenant's `admin_api_keys` and only ever reads that tenant's rows.
 */
export const adminRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant'
const admin = requireTenantKey('admin_api_keys')

adminRoutes.get(`${base}/failed-requests`, admin, async (c) => {
  const query = parseListQuery(c.req.query())
  const store = c.get('deps').stores.failedRequests
  const rows = await store.list(c.get('tenant').id, { ...query, limit: query.limit + 1 })
  const page = pageOf(rows, query.limit, failedRequestItem, (last) => idCursor.encode(last.id))
  return reply(c, 200, schema<typeof R.FailedRequestList>(), page)
})

adminRoutes.get(`${base}/failed-requests/:id`, admin, async (c) => {
  const id = c.req.param('id')
  const row = await c.get('deps').stores.failedRequests.get(c.get('tenant').id, id)
  if (!row)
    throw new AppError('NOT_FOUND', 'No failed request with this id for this tenant.', {
      details: { id },
    })
  return reply(c, 200, schema<typeof R.FailedRequestOne>(), { status: 'OK', item: failedRequestDetail(row) })
})

adminRoutes.post(`${base}/failed-requests/:id/retry`, admin, async (c) => {
  const retried = await retryNow(c.get('deps'), failedRequestKinds, {
    tenant: c.get('tenant'),
    id: c.req.param('id'),
  })
  return c.json(retried.body, retried.status)
})

adminRoutes.delete(`${base}/failed-requests/:id`, admin, async (c) => {
  await discard(c.get('deps'), failedRequestKinds, { tenant: c.get('tenant'), id: c.req.param('id') })
  return c.body(null, 204)
})

adminRoutes.get(`${base}/messages/:guid`, admin, async (c) => {
  const guid = c.req.param('guid')
  const row = await withShard(c.get('deps'), guid).stores.deliveries.get(c.get('tenant').id, guid)
  if (!row)
    throw new AppError('NOT_FOUND', 'No delivery record with this guid for this tenant.', {
      details: { guid },
    })
  return reply(c, 200, schema<typeof R.DeliveryRecord>(), deliveryRecord(row))
})

const failedId = { name: 'id', in: 'path' as const, description: 'failed request id', schema: z.string() }

/** The operator API. */
export const adminOperations: Operation[] = [
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/failed-requests',
    'List failed requests, newest first',
    {
      '200': { description: 'A page', schema: R.FailedRequestList },
      '400': err('Bad state, kind, limit or cursor (VALIDATION_FAILED)'),
    },
    [
      {
        name: 'state',
        in: 'query',
        description: 'pending | done | dead | expired',
        schema: z.enum(FAILED_REQUEST_STATES),
      },
      {
        name: 'kind',
        in: 'query',
        description: 'scg | twilio | ci360_event',
        schema: z.enum(FAILED_REQUEST_KINDS),
      },
      { name: 'limit', in: 'query', description: '1–100, default 50', schema: z.int() },
      { name: 'cursor', in: 'query', description: 'next_cursor of the previous page', schema: z.string() },
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'One failed request, with its stored event',
    { '200': { description: 'The row', schema: R.FailedRequestOne } },
    [failedId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/failed-requests/{id}/retry',
    'Retry now; answers as the original route would',
    {
      '200': {
        description:
          'OK, DUPLICATE (already done), STALE, or SUPPRESSED (the number opted out since; not sent, now dead)',
        schema: retryReplies[200],
      },
      '202': {
        description: 'QUEUED again; or ACCEPTED: a queued tenant’s message handed back to the send queue',
        schema: retryReplies[202],
      },
      '409': err('Being retried by the cron right now (IN_PROGRESS)'),
      '422': err('PROVIDER_REJECTED'),
      '502': err('Failed again on its last attempt (PROVIDER_UNAVAILABLE)'),
    },
    [failedId],
  ),
  adminOperation(
    'delete',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'Discard',
    { '204': { description: 'Discarded' } },
    [failedId],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/messages/{guid}',
    'Delivery record of one CI360 event',
    { '200': { description: 'The record', schema: R.DeliveryRecord } },
    [{ name: 'guid', in: 'path', description: 'CI360 event guid', schema: z.string() }],
  ),
]
