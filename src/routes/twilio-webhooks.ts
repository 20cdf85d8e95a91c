import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { verifiedWebhook } from '../http/webhook-auth'
import { handleInbound } from '../inbound/flow'
import { common, err, type Operation, type Schema, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'
import { STATUS_GUID_PARAM } from '../providers/twilio/client'
import { TwilioInboundSchema, TwilioStatusCallbackSchema } from '../providers/twilio/schemas'

/** The empty TwiML document: acknowledge an incoming message without replying to the sender. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

/**
 * Twilio → us, authenticated by `X-Twilio-Signature` with the tenant's auth token. Status
 * callbacks answer JSON; incoming messages answer empty TwiML (errors stay JSON, as on every route).
 */
export const twilioWebhookRoutes = new Hono<AppEnv>()

/** Run the verified delivery through the inbound flow. */
async function receive(c: Context<AppEnv>, source: 'twilio-status' | 'twilio-inbound') {
  const { tenant, text } = c.get('webhook')
  const guidHint = source === 'twilio-status' ? new URL(c.req.url).searchParams.get(STATUS_GUID_PARAM) : null
  return handleInbound(c.get('deps'), {
    source,
    route: tenant,
    rawBody: text,
    headers: c.req.raw.headers,
    ...(guidHint ? { guidHint } : {}),
  })
}

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/status', verifiedWebhook('twilio'), async (c) => {
  const result = await receive(c, 'twilio-status')
  return reply(c, 200, schema<typeof R.WebhookReply>(), result.reply)
})

twilioWebhookRoutes.post('/v1/webhooks/twilio/:tenant/inbound', verifiedWebhook('twilio'), async (c) => {
  const { outcome } = await receive(c, 'twilio-inbound')
  // The outcome is also shown in Twilio's request inspector, which displays response headers.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-connector-status': outcome.status,
  })
})

const twilioWebhook = (
  kind: 'status' | 'inbound',
  schema: Schema,
  summary: string,
  ok: Operation['responses'][string],
): Operation => ({
  method: 'post',
  path: `/v1/webhooks/twilio/{tenant}/${kind}`,
  summary,
  tag: 'Webhooks',
  security: 'twilioSignature',
  params: [tenantParam],
  body: [{ type: 'application/x-www-form-urlencoded', schema }],
  responses: {
    '200': ok,
    '400': common['400'],
    '403': err('Missing or invalid X-Twilio-Signature (FORBIDDEN)'),
    '413': common['413'],
    '503': common['503'],
  },
})

/** The Twilio webhook routes. */
export const twilioWebhookOperations: Operation[] = [
  twilioWebhook('status', TwilioStatusCallbackSchema, 'Twilio status callback → CI360 event', {
    description: 'OK, DUPLICATE, QUEUED or IGNORED',
    schema: R.WebhookReply,
  }),
  twilioWebhook('inbound', TwilioInboundSchema, 'Twilio incoming message → CI360 event', {
    description: 'Empty TwiML <Response/>',
    type: 'text/xml',
  }),
]
