import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { eventDetail, eventItem } from '../admin/operator-present'
import { parseEventQuery } from '../admin/operator-query'
import { pageOf } from '../admin/present'
import { idCursor } from '../admin/query'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { replayStoredEvent } from '../inbound/replay'
import { AppError } from '../lib/app-error'
import { INBOUND_EVENT_SOURCES, INBOUND_STATES } from '../lib/vocabulary'
import { adminOperation, err, type Operation, query, searchOperation } from '../openapi/operation'
import { EventList, EventOne, Marked } from '../openapi/operator-replies'
import * as R from '../openapi/replies'

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
    pageOf(rows, query.limit, eventItem, (last) => idCursor.encode(last.id)),
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
  return reply(c, 200, schema<typeof R.WebhookReply>(), await replayStoredEvent(deps, row))
})

operatorEventRoutes.post(`${base}/:id/handled`, admin, async (c) => {
  const id = c.req.param('id')
  const deps = c.get('deps')
  if (!(await deps.stores.inboundEvents.markHandled(c.get('tenant').id, id, deps.now()))) throw notFound(id)
  return reply(c, 200, schema<typeof Marked>(), { status: 'OK' })
})

const eventId = { name: 'id', in: 'path' as const, description: 'event id', schema: z.string() }

/** The event viewer's routes. */
export const operatorEventOperations: Operation[] = [
  searchOperation(
    '/v1/tenants/{tenant}/events',
    'Stored webhook deliveries, newest first',
    { description: 'A page', schema: EventList },
    'Bad source, state, type, from, to, q, limit or cursor (VALIDATION_FAILED, naming it)',
    [
      query('source', INBOUND_EVENT_SOURCES.join(' | ')),
      query('state', INBOUND_STATES.join(' | ')),
      query('type', 'SCG evt-tp, or Twilio status | inbound'),
      query('q', 'exact event key, provider message id or guid'),
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/events/{id}',
    'One stored delivery with its raw body and tracking',
    {
      '200': { description: 'The event', schema: EventOne },
    },
    [eventId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/events/{id}/replay',
    'Run the stored body through its webhook flow again, bypassing dedupe',
    {
      '200': {
        description: 'The outcome (OK, QUEUED, IGNORED…), as the webhook would answer',
        schema: R.WebhookReply,
      },
      '503': err('Storage unavailable (STORAGE_UNAVAILABLE)'),
    },
    [eventId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/events/{id}/handled',
    'Mark handled (kept for audit)',
    { '200': { description: 'Marked', schema: Marked } },
    [eventId],
  ),
]
