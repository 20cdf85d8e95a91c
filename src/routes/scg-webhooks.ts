import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../app-env'
import type { TenantConfig } from '../config/tenant'
import { handleInbound } from '../inbound/flow'
import { readBodyText } from '../lib/http'
import { requireScgWebhookAuth } from '../webhooks/auth'
import { oauthRoutes } from './oauth'

/**
 * Syniverse Event Manager deliveries (DESIGN §2.2) on the global route and on a tenant's route, plus
 * the OAuth token endpoint Event Manager's OAuth mode fetches its tokens from (DESIGN §2.3).
 */
export const scgWebhookRoutes = new Hono<AppEnv>()

async function receive(c: Context<AppEnv>, route: TenantConfig | undefined) {
  const rawBody = await readBodyText(c.req.raw)
  const deps = { ...c.get('deps'), log: c.get('log') }
  const { reply } = await handleInbound(deps, { source: 'scg', route, rawBody, headers: c.req.raw.headers })
  return c.json(reply, 200)
}

scgWebhookRoutes.post('/v1/webhooks/scg', requireScgWebhookAuth('global'), (c) => receive(c, undefined))
scgWebhookRoutes.post('/v1/webhooks/scg/:tenant', requireScgWebhookAuth('tenant'), (c) =>
  receive(c, c.get('tenant')),
)
scgWebhookRoutes.route('/', oauthRoutes)
