import { Hono } from 'hono/tiny'
import type { AppEnv } from '../app-env'
import { handleTwilioInbound } from '../providers/twilio/inbound'
import { handleTwilioStatus } from '../providers/twilio/status-callback'
import { readTwilioWebhook } from '../providers/twilio/webhook'

/** The empty TwiML document: acknowledge an incoming message without replying to the sender. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

/**
 * Twilio → us (DESIGN §2.4), authenticated by `X-Twilio-Signature` with the tenant's auth token. Status
 * callbacks answer JSON; incoming messages answer empty TwiML (errors stay JSON, as on every route).
 */
export const twilioWebhookRoutes = new Hono<AppEnv>()

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/status', async (c) => {
  const log = c.get('log').child({ tenant: c.req.param('tenant'), webhook: 'twilio-status' })
  const { tenant, params } = await readTwilioWebhook(c.get('deps'), log, c.req.param('tenant'), c.req.raw)
  const reply = await handleTwilioStatus({ ...c.get('deps'), log }, log, tenant, params)
  return c.json(reply.body, 200)
})

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/inbound', async (c) => {
  const log = c.get('log').child({ tenant: c.req.param('tenant'), webhook: 'twilio-inbound' })
  const { tenant, params } = await readTwilioWebhook(c.get('deps'), log, c.req.param('tenant'), c.req.raw)
  const reply = await handleTwilioInbound({ ...c.get('deps'), log }, log, tenant, params)
  // The outcome is also shown in Twilio's request inspector, which displays response headers.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-connector-status': reply.status,
  })
})
