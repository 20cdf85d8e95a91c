import { Hono } from 'hono/tiny'
import { listSenders } from '../admin/senders'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireTenantKey } from '../http/tenant-key'
import { adminOperation, type Operation } from '../openapi/operation'
import * as S from '../openapi/sender-replies'

/**
 * The tenant's senders with their queues and pacers (docs/console.md, "Senders"). Tenant admin keys
 * only; only that tenant's rows and pacers.
 */
export const senderRoutes = new Hono<AppEnv>()

senderRoutes.get('/v1/tenants/:tenant/senders', requireTenantKey('admin_api_keys'), async (c) => {
  const list = await listSenders(c.get('deps'), c.get('tenant'))
  return reply(c, 200, schema<typeof S.SenderList>(), list)
})

/** The Senders view's operation. */
export const senderOperations: Operation[] = [
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/senders',
    'Each sender: its queued (accepted) messages, configured and current pace, last slow-down',
    {
      '200': {
        description:
          'Senders with queued messages and those the tenant configures; pacer_unavailable when a pacer did not answer (its fields null)',
        schema: S.SenderList,
      },
    },
  ),
]
