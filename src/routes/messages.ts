import { Hono } from 'hono/tiny'
import { publicOrigin } from '../config/origin'
import type { AppEnv } from '../http/app-env'
import { requireTenantKey } from '../http/tenant-key'
import { readJsonBody } from '../lib/http'
import { PROVIDER_IDS } from '../lib/vocabulary'
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
