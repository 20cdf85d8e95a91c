import type { MiddlewareHandler } from 'hono'
import { AppError } from '../lib/app-error'
import { decodeText, decodeUtf8Exactly, readBodyBytes } from '../lib/http'
import type { AppEnv } from './app-env'
import { scgWebhook } from './scg-source'
import { genesysMulticloud, genesysOpenMessaging, twilio } from './signed-sources'
import {
  checkDelivery,
  notUtf8Json,
  type RouteInfo,
  type WebhookFailure,
  type WebhookSource,
} from './webhook-source'

/** Every webhook source a route can declare (docs/architecture.md, "Inbound", step 1). */
export const WEBHOOK_SOURCES = {
  scg: scgWebhook,
  twilio,
  'genesys-open-messaging': genesysOpenMessaging,
  'genesys-multicloud': genesysMulticloud,
} as const satisfies Record<string, WebhookSource>

export type WebhookSourceName = keyof typeof WEBHOOK_SOURCES

const toError = (f: WebhookFailure) =>
  new AppError(f.code, f.message, { headers: f.headers, details: f.details })

/**
 * Authenticate a webhook delivery as `source` and hand it to the handler: the raw body is read once (a
 * signed source's before verifying, since its HMAC covers the bytes), the source's `verify()` decides,
 * a refusal is logged and answered with the source's status (Event Manager 401 with `WWW-Authenticate`,
 * Twilio and Genesys 403), and a signed body that is not UTF-8 exactly is a 400 after a valid
 * signature. On a tenant route the tenant is put in the context.
 */
export function verifiedWebhook(name: WebhookSourceName): MiddlewareHandler<AppEnv> {
  const source: WebhookSource = WEBHOOK_SOURCES[name]
  return async (c, next) => {
    const deps = c.get('deps')
    const tenantId = c.req.param('tenant')
    const tenant = tenantId === undefined ? undefined : deps.config.tenant(tenantId)
    if (tenant) {
      c.set('tenant', tenant)
      c.set('log', c.get('log').child({ tenant: tenant.id }))
    }
    const route: RouteInfo = {
      config: deps.config,
      tenantId,
      tenant,
      param: (p) => c.req.param(p),
      url: c.req.url,
    }
    const signedBody = source.signed ? await readBodyBytes(c.req.raw) : new Uint8Array(0)
    const headers = c.req.raw.headers
    const failure = await checkDelivery(source, route, { body: signedBody, headers, now: deps.now() })
    if (failure) {
      if (failure.log) c.get('log').warn(source.refusedLog, { ...source.logFields?.(route), ...failure.log })
      throw toError(failure)
    }
    const bytes = source.signed ? signedBody : await readBodyBytes(c.req.raw)
    const text = source.signed ? decodeUtf8Exactly(bytes) : decodeText(bytes)
    if (text === undefined) throw toError(notUtf8Json())
    c.set('webhook', { tenant, bytes, text })
    await next()
  }
}
