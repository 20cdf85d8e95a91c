import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { TenantConfig } from '../config/tenant'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { requireScgWebhookAuth } from '../http/webhook-auth'
import { handleInbound } from '../inbound/flow'
import { readBodyText } from '../lib/http'
import type * as R from '../openapi/replies'

/**
 * Syniverse Event Manager deliveries on the global route and on a tenant's route, plus
 * the OAuth token endpoint Event Manager's OAuth mode fetches its tokens from.
 */
export const scgWebhookRoutes = new Hono<AppEnv>()

async function receive(c: Context<AppEnv>, route: TenantConfig | undefined) {
  const rawBody = await readBodyText(c.req.raw)
  const result = await handleInbound(c.get('deps'), {
    source: 'scg',
    route,
    rawBody,
    headers: c.req.raw.headers,
  })
  return reply(c, 200, schema<typeof R.WebhookReply>(), result.reply)
}

scgWebhookRoutes.post('/v1/webhooks/scg', requireScgWebhookAuth('global'), (c) => receive(c, undefined))
scgWebhookRoutes.post('/v1/webhooks/scg/:tenant', requireScgWebhookAuth('tenant'), (c) =>
  receive(c, c.get('tenant')),
)
