import { Hono } from 'hono/tiny'
import { OutboundEventSchema } from '../ci360/event'
import { publicOrigin } from '../config/origin'
import type { AppEnv } from '../http/app-env'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import { PROVIDER_IDS, type ProviderId } from '../lib/vocabulary'
import { common, err, type Operation, tenantParam } from '../openapi/operation'
import { outboundReplies } from '../openapi/reply'
import { handleOutbound } from '../outbound/pipeline'

/** CI360 External System Task endpoints, one per provider. */
export const messageRoutes = new Hono<AppEnv>()

for (const providerId of PROVIDER_IDS) {
  messageRoutes.post(
    `/v1/tenants/:tenant/${providerId}/messages`,
    requireTenantKey('api_keys'),
    async (c) => {
      const tenant = c.get('tenant')
      const { text, json } = await readJsonBody(c.req.raw)
      const sent = await handleOutbound(c.get('deps'), {
        providerId,
        tenant,
        bodyText: text,
        body: json,
        origin: publicOrigin(tenant.settings, c.req.url),
      })
      return c.json(sent.body, sent.status)
    },
  )
}

const outbound = (provider: ProviderId, label: string): Operation => ({
  method: 'post',
  path: `/v1/tenants/{tenant}/${provider}/messages`,
  summary: `CI360 External System Task event → ${label}`,
  tag: 'Outbound',
  security: 'apiKey',
  params: [tenantParam],
  body: [
    {
      type: 'text/plain',
      schema: OutboundEventSchema,
      description: 'CI360 sends JSON as text/plain;charset=UTF-8',
    },
    { type: 'application/json', schema: OutboundEventSchema },
  ],
  responses: {
    '200': {
      description:
        "Sent (OK), DUPLICATE, STALE, IGNORED, or SUPPRESSED: the recipient is on the tenant's opt-out list, nothing was sent, `reason` is OPTED_OUT and `suppressed_event` (if set) goes to CI360 (docs/compliance.md)",
      schema: outboundReplies[200],
    },
    '202': {
      description:
        'Provider unavailable: stored and retried (QUEUED); or held by quiet hours until send_at (DEFERRED)',
      schema: outboundReplies[202],
    },
    ...common,
    '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
    '409': err('The same guid is being sent right now (IN_PROGRESS)'),
    '422': err(
      'The provider refused the message (PROVIDER_REJECTED, with provider_code; Twilio 21610 also puts the number on the opt-out list)',
    ),
  },
})

/** The outbound routes. */
export const messageOperations: Operation[] = [outbound('scg', 'Syniverse SCG'), outbound('twilio', 'Twilio')]
