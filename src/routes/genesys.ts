import { Hono } from 'hono/tiny'
import { publicOrigin } from '../config/origin'
import { handleMulticloud } from '../genesys/multicloud'
import { handleGenesysMessage, parseGenesysMessage } from '../genesys/send'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { verifiedWebhook } from '../http/webhook-auth'
import { parseJsonText } from '../lib/http'
import type * as R from '../openapi/replies'

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
