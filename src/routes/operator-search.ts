import { Hono } from 'hono/tiny'
import { messageItem, parseStatsQuery } from '../admin/operator-present'
import { encodeMessageCursor, parseMessageQuery } from '../admin/operator-query'
import { pageOf } from '../admin/present'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import type { MessageList, StatsReply } from '../openapi/operator-replies'

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
  const cursorOf = (last: (typeof rows)[number]) => encodeMessageCursor(last.created_at, last.guid)
  return reply(c, 200, schema<typeof MessageList>(), pageOf(rows, query.limit, messageItem, cursorOf))
})

operatorSearchRoutes.get(`${base}/stats`, admin, async (c) => {
  const deps = c.get('deps')
  const stats = await deps.stores.stats.read(c.get('tenant').id, parseStatsQuery(c.req.query(), deps))
  return reply(c, 200, schema<typeof StatsReply>(), { status: 'OK', ...stats })
})
