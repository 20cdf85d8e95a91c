import { Hono } from 'hono/tiny'
import { eventDetail, eventItem } from '../admin/operator-present'
import { parseEventQuery } from '../admin/operator-query'
import { encodeCursor, pageOf } from '../admin/present'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { replayStoredEvent } from '../inbound/replay'
import { AppError } from '../lib/app-error'
import type { EventList, EventOne, Marked } from '../openapi/operator-replies'
import type { WebhookReply } from '../openapi/replies'

/**
 * The operator console's event viewer (docs/console.md): stored webhook deliveries (list, view,
 * replay, mark handled). Tenant admin keys only; only that tenant's rows.
 */
export const operatorEventRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant/events'
const admin = requireTenantKey('admin_api_keys')

const notFound = (id: string) =>
  new AppError('NOT_FOUND', 'No event with this id for this tenant.', { details: { id } })

operatorEventRoutes.get(base, admin, async (c) => {
  const query = parseEventQuery(c.req.query())
  const store = c.get('deps').stores.inboundEvents
  const rows = await store.list(c.get('tenant').id, { ...query, limit: query.limit + 1 })
  return reply(
    c,
    200,
    schema<typeof EventList>(),
    pageOf(rows, query.limit, eventItem, (last) => encodeCursor(last.id)),
  )
})

operatorEventRoutes.get(`${base}/:id`, admin, async (c) => {
  const id = c.req.param('id')
  const row = await c.get('deps').stores.inboundEvents.get(c.get('tenant').id, id)
  if (!row) throw notFound(id)
  return reply(c, 200, schema<typeof EventOne>(), { status: 'OK', item: eventDetail(row) })
})

operatorEventRoutes.post(`${base}/:id/replay`, admin, async (c) => {
  const id = c.req.param('id')
  const deps = { ...c.get('deps'), log: c.get('deps').log.child({ replay_of: id }) }
  const row = await deps.stores.inboundEvents.get(c.get('tenant').id, id)
  if (!row) throw notFound(id)
  return reply(c, 200, schema<typeof WebhookReply>(), await replayStoredEvent(deps, row))
})

operatorEventRoutes.post(`${base}/:id/handled`, admin, async (c) => {
  const id = c.req.param('id')
  const deps = c.get('deps')
  if (!(await deps.stores.inboundEvents.markHandled(c.get('tenant').id, id, deps.now()))) throw notFound(id)
  return reply(c, 200, schema<typeof Marked>(), { status: 'OK' })
})
