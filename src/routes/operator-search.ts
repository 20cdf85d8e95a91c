import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { messageItem, parseStatsQuery } from '../admin/operator-present'
import { encodeMessageCursor, parseMessageQuery } from '../admin/operator-query'
import type { AppEnv } from '../http/app-env'
import { reply } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { MESSAGE_SEARCH_STATES, PROVIDER_IDS } from '../lib/vocabulary'
import { err, type Operation } from '../openapi/operation'
import { MessageList, StatsReply } from '../openapi/operator-replies'
import { searchMessages } from '../storage/message-search'
import { readStats } from '../storage/stats'
import { adminOperation } from './admin'

/** The operator console's message search and dashboard counts (docs/console.md). Tenant admin keys only. */
export const operatorSearchRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant'
const admin = requireTenantKey('admin_api_keys')

operatorSearchRoutes.get(`${base}/messages`, admin, async (c) => {
  const query = parseMessageQuery(c.req.query())
  const rows = await searchMessages(c.get('deps').db, c.get('tenant').id, {
    ...query,
    limit: query.limit + 1,
  })
  const items = rows.slice(0, query.limit)
  const last = items.at(-1)
  return reply(c, 200, MessageList, {
    status: 'OK',
    items: items.map(messageItem),
    next_cursor: rows.length > query.limit && last ? encodeMessageCursor(last.created_at, last.guid) : null,
  })
})

operatorSearchRoutes.get(`${base}/stats`, admin, async (c) => {
  const deps = c.get('deps')
  const stats = await readStats(deps.db, c.get('tenant').id, parseStatsQuery(c.req.query(), deps))
  return reply(c, 200, StatsReply, { status: 'OK', ...stats })
})

export const query = (name: string, description: string, schema: z.ZodMiniType = z.string()) => ({
  name,
  in: 'query' as const,
  description,
  schema,
})
export const page = [
  query('from', 'ISO 8601, inclusive'),
  query('to', 'ISO 8601, exclusive'),
  query('limit', '1–100, default 50', z.int()),
  query('cursor', 'next_cursor of the previous page'),
]

/** Message search and stats. */
export const operatorSearchOperations: Operation[] = [
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/messages',
    'Search delivery records, newest first',
    {
      '200': { description: 'A page of records (as messages/{guid}, without history)', schema: MessageList },
      '400': err('Bad state, provider, from, to, q, limit or cursor (VALIDATION_FAILED, naming it)'),
    },
    [
      query('state', MESSAGE_SEARCH_STATES.join(' | ')),
      query('provider', PROVIDER_IDS.join(' | ')),
      query('q', 'exact guid, provider message id or externalCode'),
      ...page,
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/stats',
    'Dashboard counts per hour or day, and pending counts',
    {
      '200': { description: 'Counts', schema: StatsReply },
      '400': err('Bad from, to or bucket (VALIDATION_FAILED, naming it)'),
    },
    [
      query('from', 'ISO 8601; default 24 hours (30 days) before to'),
      query('to', 'ISO 8601; default the end of the current hour (day)'),
      query('bucket', 'hour | day, default hour'),
    ],
  ),
]
