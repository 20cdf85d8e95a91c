import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { publicOrigin } from '../config/origin'
import { handleMulticloud } from '../genesys/multicloud'
import { handleGenesysMessage, parseGenesysMessage } from '../genesys/send'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { verifiedWebhook } from '../http/webhook-auth'
import { parseJsonText } from '../lib/http'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'
import { OpenMessageSchema } from '../providers/genesys/open-messaging'

/** Genesys → us: the contact centre's outbound messages, sent as SMS through the tenant's provider. */
export const genesysRoutes = new Hono<AppEnv>()

genesysRoutes.post(
  '/v1/genesys/:tenant/open-messaging',
  verifiedWebhook('genesys-open-messaging'),
  async (c) => {
    const deps = c.get('deps')
    const tenant = c.get('tenant')
    const rawBody = c.get('webhook').text
    const parsed = parseGenesysMessage(parseJsonText(rawBody))
    const origin = publicOrigin(tenant.settings, c.req.url)
    const body = await handleGenesysMessage(deps, { tenant, rawBody, origin }, parsed)
    return reply(c, 200, schema<typeof R.GenesysReply>(), body)
  },
)

/**
 * Genesys Multicloud "Async" channel webhook. An unknown channel is refused like a bad signature (403):
 * without its secret the request cannot be authenticated, and a distinct answer would let anyone probe
 * channel ids.
 */
genesysRoutes.post(
  '/v1/genesys/:tenant/channels/:channelId/webhook',
  verifiedWebhook('genesys-multicloud'),
  async (c) => {
    const deps = c.get('deps')
    const tenant = c.get('tenant')
    const channel = c.req.param('channelId')
    const rawBody = c.get('webhook').text
    // Genesys's trace id ties our logs to its own (the header is optional; kept short in the log).
    const trace = c.req.header('x-b3-traceid')?.slice(0, 64)
    deps.log.info('genesys multicloud webhook', { tenant: tenant.id, channel, trace_id: trace })
    const origin = publicOrigin(tenant.settings, c.req.url)
    const body = await handleMulticloud(deps, { tenant, channel, origin }, parseJsonText(rawBody))
    return reply(c, 200, schema<typeof R.MulticloudReply>(), body)
  },
)

/** The documented body: each message in the normalized shape (`type`/`direction` default to Text/Outbound). */
const MulticloudDocSchema = z.looseObject({ messages: z.array(OpenMessageSchema) })

/** The Genesys routes. */
export const genesysOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/genesys/{tenant}/open-messaging',
    summary: 'Genesys Cloud Open Messaging outbound message → SCG or Twilio',
    tag: 'Genesys',
    security: 'genesysSignature',
    params: [tenantParam],
    body: [{ type: 'application/json', schema: OpenMessageSchema }],
    responses: {
      '200': {
        description:
          'Sent (OK), stored for retry (QUEUED), DUPLICATE, IGNORED, or SUPPRESSED (the customer is on the opt-out list: not sent, a Failed receipt with reason code OPTED_OUT goes to Genesys)',
        schema: R.GenesysReply,
      },
      '400': common['400'],
      '403': err('Missing or invalid X-Hub-Signature-256, or unknown tenant (FORBIDDEN)'),
      '409': err('The same message is being sent right now (IN_PROGRESS)'),
      '413': common['413'],
      '422': err('The provider refused the message (PROVIDER_REJECTED, with provider_code)'),
      '503': common['503'],
    },
  },
  {
    method: 'post',
    path: '/v1/genesys/{tenant}/channels/{channelId}/webhook',
    summary: 'Genesys Multicloud Digital Channels (Async) messages → SCG or Twilio',
    tag: 'Genesys',
    security: 'multicloudSignature',
    params: [
      tenantParam,
      {
        name: 'channelId',
        in: 'path',
        description: 'A channel_id of genesys.multicloud',
        schema: z.string(),
      },
    ],
    body: [{ type: 'application/json', schema: MulticloudDocSchema }],
    responses: {
      '200': {
        description:
          'Every message handled: messageId/status of the first, `messages` one outcome each (OK, QUEUED, DUPLICATE, IGNORED, SUPPRESSED, PROVIDER_REJECTED, IN_PROGRESS)',
        schema: R.MulticloudReply,
      },
      '400': common['400'],
      '403': err('Missing or invalid X-Hub-Signature, unknown tenant or unknown channel (FORBIDDEN)'),
      '413': common['413'],
      '503': err(
        'Storage unavailable: not every message was stored; Genesys redelivers (STORAGE_UNAVAILABLE)',
      ),
    },
  },
]
