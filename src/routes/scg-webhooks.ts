import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { verifiedWebhook } from '../http/webhook-auth'
import { handleInbound } from '../inbound/flow'
import type * as R from '../openapi/replies'

/**
 * Syniverse Event Manager deliveries on the global route and on a tenant's route, plus
 * the OAuth token endpoint Event Manager's OAuth mode fetches its tokens from.
 */
export const scgWebhookRoutes = new Hono<AppEnv>()

async function receive(c: Context<AppEnv>) {
  const { tenant, text } = c.get('webhook')
  const result = await handleInbound(c.get('deps'), {
    source: 'scg',
    route: tenant,
    rawBody: text,
    headers: c.req.raw.headers,
  })
  return reply(c, 200, schema<typeof R.WebhookReply>(), result.reply)
}

scgWebhookRoutes.post('/v1/webhooks/scg', verifiedWebhook('scg'), receive)
scgWebhookRoutes.post('/v1/webhooks/scg/:tenant', verifiedWebhook('scg'), receive)
