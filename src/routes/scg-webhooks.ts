import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../app-env'
import type { TenantConfig } from '../config/tenant'
import { readBodyText } from '../lib/http'
import { parseScgDelivery } from '../providers/scg/webhook'
import { requireScgWebhookAuth } from '../webhooks/auth'
import { runScgDelivery } from '../webhooks/recorded'
import { oauthRoutes } from './oauth'

/**
 * Syniverse Event Manager deliveries (DESIGN §2.2) on the global route and on a tenant's route, plus
 * the OAuth token endpoint Event Manager's OAuth mode fetches its tokens from (DESIGN §2.3).
 */
export const scgWebhookRoutes = new Hono<AppEnv>()

async function receive(c: Context<AppEnv>, route: TenantConfig | undefined) {
  const body = await readBodyText(c.req.raw)
  const delivery = parseScgDelivery(body, c.req.header('content-type'))
  const log = c.get('log').child({
    event_id: delivery.eventId,
    evt_tp: delivery.kind === 'other' ? delivery.eventType.slice(0, 60) : delivery.kind,
    attempt: delivery.attempt,
  })
  const raw = { body, contentType: c.req.header('content-type') ?? null }
  return c.json(await runScgDelivery(c.get('deps'), log, route, delivery, raw), 200)
}

scgWebhookRoutes.post('/v1/webhooks/scg', requireScgWebhookAuth('global'), (c) => receive(c, undefined))
scgWebhookRoutes.post('/v1/webhooks/scg/:tenant', requireScgWebhookAuth('tenant'), (c) =>
  receive(c, c.get('tenant')),
)
scgWebhookRoutes.route('/', oauthRoutes)
