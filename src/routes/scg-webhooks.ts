import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { verifiedWebhook } from '../http/webhook-auth'
import { handleInbound } from '../inbound/flow'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'
import { ScgEnvelopeSchema } from '../providers/scg/webhook'

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

const scgWebhook = (path: string, summary: string, params: Operation['params']): Operation => ({
  method: 'post',
  path,
  summary,
  tag: 'Webhooks',
  security: 'scgWebhook',
  ...(params ? { params } : {}),
  body: [
    { type: 'application/json', schema: ScgEnvelopeSchema },
    {
      type: 'application/xml',
      schema: ScgEnvelopeSchema,
      description: 'Same element names as the JSON envelope; DTDs and entities are refused',
    },
  ],
  responses: {
    '200': {
      description: 'OK (injected), QUEUED (stored for retry), DUPLICATE or IGNORED',
      schema: R.WebhookReply,
    },
    ...common,
    '400': err('INVALID_JSON, INVALID_XML or VALIDATION_FAILED (naming the field)'),
  },
})

/** The Event Manager routes. */
export const scgWebhookOperations: Operation[] = [
  scgWebhook('/v1/webhooks/scg', 'Event Manager delivery for any tenant (global credentials)', undefined),
  scgWebhook(
    '/v1/webhooks/scg/{tenant}',
    "Event Manager delivery for one tenant (the tenant's scg_webhook credentials)",
    [tenantParam],
  ),
]
