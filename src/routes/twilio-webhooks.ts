import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../app-env'
import { readTwilioWebhook } from '../providers/twilio/webhook'
import { runTwilioWebhook, type TwilioWebhookKind } from '../webhooks/recorded'

/** The empty TwiML document: acknowledge an incoming message without replying to the sender. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

/**
 * Twilio → us (DESIGN §2.4), authenticated by `X-Twilio-Signature` with the tenant's auth token. Status
 * callbacks answer JSON; incoming messages answer empty TwiML (errors stay JSON, as on every route).
 */
export const twilioWebhookRoutes = new Hono<AppEnv>()

async function receive(c: Context<AppEnv>, kind: TwilioWebhookKind) {
  const log = c.get('log').child({ tenant: c.req.param('tenant'), webhook: `twilio-${kind}` })
  const { tenant, params, raw } = await readTwilioWebhook(
    c.get('deps'),
    log,
    c.req.param('tenant') ?? '',
    c.req.raw,
  )
  const body = { body: raw, contentType: c.req.header('content-type') ?? null }
  return runTwilioWebhook({ ...c.get('deps'), log }, log, tenant, kind, params, body)
}

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/status', async (c) => {
  const reply = await receive(c, 'status')
  return c.json(reply.body, 200)
})

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/inbound', async (c) => {
  const reply = await receive(c, 'inbound')
  // The outcome is also shown in Twilio's request inspector, which displays response headers.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-connector-status': reply.status,
  })
})
