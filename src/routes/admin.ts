import { Hono } from 'hono/tiny'
import { discard, retryNow } from '../admin/actions'
import {
  deliveryRecord,
  encodeCursor,
  failedRequestDetail,
  failedRequestItem,
  pageOf,
  parseListQuery,
} from '../admin/present'
import { failedRequestKinds } from '../failed-request-kinds'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { AppError } from '../lib/app-error'
import type * as R from '../openapi/replies'

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
  const page = pageOf(rows, query.limit, failedRequestItem, (last) => encodeCursor(last.id))
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
  const row = await c.get('deps').stores.deliveries.get(c.get('tenant').id, guid)
  if (!row)
    throw new AppError('NOT_FOUND', 'No delivery record with this guid for this tenant.', {
      details: { guid },
    })
  return reply(c, 200, schema<typeof R.DeliveryRecord>(), deliveryRecord(row))
})
