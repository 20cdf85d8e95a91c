import { Hono } from 'hono/tiny'
import { eventDetail, eventItem, messageItem, parseStatsQuery } from '../admin/operator-present'
import { encodeMessageCursor, parseEventQuery, parseMessageQuery } from '../admin/operator-query'
import { encodeCursor } from '../admin/present'
import type { AppEnv } from '../app-env'
import { AppError } from '../lib/app-error'
import { requireTenantKey } from '../lib/auth'
import { createInboundEventStore } from '../storage/inbound-events'
import { searchMessages } from '../storage/message-search'
import { readStats } from '../storage/stats'
import { replayInboundEvent } from '../webhooks/recorded'

/**
 * The operator console's API (docs/console.md): stored webhook events (list, view, replay, mark
 * handled), message search and dashboard counts. Tenant admin keys only; only that tenant's rows.
 */
export const operatorRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant'
const admin = requireTenantKey('admin_api_keys')

const notFound = (id: string) =>
  new AppError('NOT_FOUND', 404, 'No event with this id for this tenant.', { details: { id } })

operatorRoutes.get(`${base}/events`, admin, async (c) => {
  const query = parseEventQuery(c.req.query())
  // One extra row tells whether another page exists.
  const rows = await createInboundEventStore(c.get('deps').db).list(c.get('tenant').id, {
    ...query,
    limit: query.limit + 1,
  })
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return c.json({
    status: 'OK',
    items: page.map(eventItem),
    next_cursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
  })
})

operatorRoutes.get(`${base}/events/:id`, admin, async (c) => {
  const id = c.req.param('id')
  const row = await createInboundEventStore(c.get('deps').db).get(c.get('tenant').id, id)
  if (!row) throw notFound(id)
  return c.json({ status: 'OK', item: eventDetail(row) })
})

operatorRoutes.post(`${base}/events/:id/replay`, admin, async (c) => {
  const id = c.req.param('id')
  const deps = { ...c.get('deps'), log: c.get('log').child({ replay_of: id }) }
  const row = await createInboundEventStore(deps.db).get(c.get('tenant').id, id)
  if (!row) throw notFound(id)
  return c.json(await replayInboundEvent(deps, deps.log, row), 200)
})

operatorRoutes.post(`${base}/events/:id/handled`, admin, async (c) => {
  const id = c.req.param('id')
  const deps = c.get('deps')
  if (!(await createInboundEventStore(deps.db).markHandled(c.get('tenant').id, id, deps.now())))
    throw notFound(id)
  return c.json({ status: 'OK' })
})

operatorRoutes.get(`${base}/messages`, admin, async (c) => {
  const query = parseMessageQuery(c.req.query())
  const rows = await searchMessages(c.get('deps').db, c.get('tenant').id, {
    ...query,
    limit: query.limit + 1,
  })
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return c.json({
    status: 'OK',
    items: page.map(messageItem),
    next_cursor: rows.length > query.limit && last ? encodeMessageCursor(last.created_at, last.guid) : null,
  })
})

operatorRoutes.get(`${base}/stats`, admin, async (c) => {
  const deps = c.get('deps')
  const stats = await readStats(deps.db, c.get('tenant').id, parseStatsQuery(c.req.query(), deps))
  return c.json({ status: 'OK', ...stats })
})
