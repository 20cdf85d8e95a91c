import { Hono } from 'hono/tiny'
import { publicOrigin } from '../config/origin'
import type { AppEnv } from '../http/app-env'
import { reply } from '../http/reply'
import { AppError } from '../lib/app-error'
import { parseJsonText, readBodyText } from '../lib/http'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import * as R from '../openapi/replies'
import { handleGenesysSend, parseGenesysMessage, record } from '../outbound/genesys'
import { OpenMessageSchema, verifyOpenMessagingSignature } from '../providers/genesys/open-messaging'

/** Keeps the work for an unknown tenant close to that of a known one (no tenant probing by timing). */
const PLACEHOLDER_SECRET = 'no-such-tenant-placeholder-secret'

/** Genesys → us: the contact centre's outbound messages, sent as SMS through the tenant's provider. */
export const genesysRoutes = new Hono<AppEnv>()

genesysRoutes.post('/v1/genesys/:tenant/open-messaging', async (c) => {
  const deps = c.get('deps')
  const tenantId = c.req.param('tenant')
  const tenant = deps.config.tenant(tenantId)
  const rawBody = await readBodyText(c.req.raw)
  const secret = tenant?.secrets.genesys?.open_messaging?.outbound_secret
  const header = c.req.header('x-hub-signature-256') ?? null
  const valid = await verifyOpenMessagingSignature(secret ?? PLACEHOLDER_SECRET, header, rawBody)
  if (!tenant || !secret || !valid) {
    const reason = !tenant
      ? 'unknown tenant'
      : !secret
        ? 'no open_messaging'
        : header
          ? 'bad signature'
          : 'no signature'
    deps.log.warn('genesys webhook refused', { tenant: tenantId, reason })
    throw new AppError('FORBIDDEN', 'Missing or invalid X-Hub-Signature-256 for this tenant.')
  }
  const parsed = parseGenesysMessage(parseJsonText(rawBody))
  if ('ignored' in parsed) {
    await record(deps, { tenant, rawBody, send: parsed.ignored }, 'ignored', [])
    return reply(c, 200, R.GenesysReply, parsed.ignored)
  }
  const origin = publicOrigin(tenant.settings, c.req.url)
  const body = await handleGenesysSend(deps, { tenant, rawBody, send: parsed.send, origin })
  return reply(c, 200, R.GenesysReply, body)
})

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
        description: 'Sent (OK), stored for retry (QUEUED), DUPLICATE or IGNORED',
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
]
