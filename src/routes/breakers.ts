import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { ForceBodySchema, forceBreaker, listBreakers, parseForce, routedProvider } from '../admin/breakers'
import { parseWindow, providerHealth } from '../admin/provider-health'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { keyActor, requireTenantKey } from '../http/tenant-key'
import { parseJsonText, readBodyText } from '../lib/http'
import * as S from '../openapi/breaker-replies'
import { adminOperation, common, err, type Operation, query } from '../openapi/operation'

/**
 * The tenant's provider breakers and per-provider send health (docs/console.md, "Routes and
 * breakers"). Tenant admin keys only; only that tenant's breakers and rows. A forced change is logged
 * with the key's digest prefix (`keyActor`).
 */
export const breakerRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant'
const admin = requireTenantKey('admin_api_keys')

breakerRoutes.get(`${base}/breakers`, admin, async (c) => {
  const list = await listBreakers(c.get('deps'), c.get('tenant'))
  return reply(c, 200, schema<typeof S.BreakerList>(), list)
})

breakerRoutes.post(`${base}/breakers/:provider`, admin, async (c) => {
  const tenant = c.get('tenant')
  const provider = routedProvider(tenant, c.req.param('provider'))
  const forced = parseForce(parseJsonText(await readBodyText(c.req.raw)))
  const actor = await keyActor(c.req.header('x-api-key') ?? '')
  const item = await forceBreaker(c.get('deps'), tenant, provider, forced, actor)
  return reply(c, 200, schema<typeof S.BreakerOne>(), { status: 'OK', item })
})

breakerRoutes.get(`${base}/stats/providers`, admin, async (c) => {
  const minutes = parseWindow(c.req.query())
  const health = await providerHealth(c.get('deps'), c.get('tenant').id, minutes)
  return reply(c, 200, schema<typeof S.ProviderHealth>(), health)
})

const providerPath = {
  name: 'provider',
  in: 'path' as const,
  description: 'scg | twilio (one the tenant routes name)',
  schema: z.string(),
}

/** The breakers' and provider health's operations. */
export const breakerOperations: Operation[] = [
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/breakers',
    "The breaker of each provider the tenant's routes name, with its recent transitions",
    {
      '200': {
        description: 'Breakers ([] without routes); breaker_unavailable when one did not answer (left out)',
        schema: S.BreakerList,
      },
    },
  ),
  {
    ...adminOperation(
      'post',
      '/v1/tenants/{tenant}/breakers/{provider}',
      'Hold a breaker open or closed, or give it back to its own rules (null)',
      {
        '200': { description: 'The breaker now', schema: S.BreakerOne },
        '400': err('A provider the routes do not name, or a bad body (VALIDATION_FAILED, naming it)'),
        '413': common['413'],
        '503': err('The breakers are unavailable (STORAGE_UNAVAILABLE)'),
      },
      [providerPath],
    ),
    body: [
      {
        type: 'application/json',
        schema: ForceBodySchema,
        description: '{"force": "open" | "closed" | null}',
      },
    ],
  },
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/stats/providers',
    'Per provider, of the sends created in the window: sends, delivered share, median time to receipt, no receipt after 5 minutes',
    {
      '200': { description: 'One item per provider with sends in the window', schema: S.ProviderHealth },
      '400': err('Bad window_minutes (VALIDATION_FAILED)'),
      '503': common['503'],
    },
    [query('window_minutes', '1–1440, default 15', z.int())],
  ),
]
