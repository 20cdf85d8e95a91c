import { Hono } from 'hono/tiny'
import { messageItem, parseStatsQuery } from '../admin/operator-present'
import { parseMessageQuery } from '../admin/operator-query'
import { pageOf } from '../admin/present'
import { messageCursor } from '../admin/query'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { MESSAGE_SEARCH_STATES, PROVIDER_IDS } from '../lib/vocabulary'
import { adminOperation, err, type Operation, query, searchOperation } from '../openapi/operation'
import { MessageList, StatsReply } from '../openapi/operator-replies'

/** The operator console's message search and dashboard counts (docs/console.md). Tenant admin keys only. */
export const operatorSearchRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant'
const admin = requireTenantKey('admin_api_keys')

operatorSearchRoutes.get(`${base}/messages`, admin, async (c) => {
  const query = parseMessageQuery(c.req.query())
  const rows = await c.get('deps').stores.search.messages(c.get('tenant').id, {
    ...query,
    limit: query.limit + 1,
  })
  const cursorOf = (last: (typeof rows)[number]) =>
    messageCursor.encode({ createdAt: last.created_at, guid: last.guid })
  return reply(c, 200, schema<typeof MessageList>(), pageOf(rows, query.limit, messageItem, cursorOf))
})

operatorSearchRoutes.get(`${base}/stats`, admin, async (c) => {
  const deps = c.get('deps')
  const stats = await deps.stores.stats.read(c.get('tenant').id, parseStatsQuery(c.req.query(), deps))
  return reply(c, 200, schema<typeof StatsReply>(), { status: 'OK', ...stats })
})

/** Message search and stats. */
export const operatorSearchOperations: Operation[] = [
  searchOperation(
    '/v1/tenants/{tenant}/messages',
    'Search delivery records, newest first',
    { description: 'A page of records (as messages/{guid}, without history)', schema: MessageList },
    'Bad state, provider, from, to, q, limit or cursor (VALIDATION_FAILED, naming it)',
    [
      query('state', MESSAGE_SEARCH_STATES.join(' | ')),
      query('provider', PROVIDER_IDS.join(' | ')),
      query('q', 'exact guid, provider message id or externalCode'),
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
