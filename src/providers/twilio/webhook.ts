import type { Config } from '../../config/env'
import { publicOrigin } from '../../config/origin'
import type { TenantConfig } from '../../config/tenant'
import { AppError } from '../../lib/app-error'
import { readBodyText } from '../../lib/http'
import type { Logger } from '../../lib/log'
import { bodyHashOf, type TwilioParams, verifyTwilioBodySignature, verifyTwilioSignature } from './signature'

/** A webhook whose `X-Twilio-Signature` checked out with the route tenant's auth token. */
export interface VerifiedTwilioWebhook {
  tenant: TenantConfig
  rawBody: string
}

const forbidden = () => new AppError('FORBIDDEN', 'Missing or invalid X-Twilio-Signature for this tenant.')

/** Keeps the work of an unknown tenant close to that of a known one (no tenant probing by timing). */
const PLACEHOLDER_TOKEN = 'no-such-tenant-placeholder-token'

/**
 * The URL Twilio signed: `public_base_url` + path + query when set (behind a proxy or a
 * custom domain), else the URL the request arrived on.
 */
export function signedUrlOf(tenant: TenantConfig | undefined, settings: Config['settings'], url: string) {
  const s = tenant?.settings ?? settings
  if (!s.public_base_url) return url
  const u = new URL(url)
  return `${publicOrigin(s, url)}${u.pathname}${u.search}`
}

/**
 * Read and authenticate a Twilio webhook for `:tenant`. Form posts are verified over the URL and the
 * decoded parameters; the JSON-body variant (`?bodySHA256=`) over the URL and the body's hash. An unknown
 * tenant, a tenant without `twilio_auth_token`, and a missing or wrong signature all get the same 403.
 */
export async function readTwilioWebhook(
  deps: { config: Config; log: Logger },
  tenantId: string,
  request: Request,
): Promise<VerifiedTwilioWebhook> {
  const tenant = deps.config.tenant(tenantId)
  const raw = await readBodyText(request)
  const url = signedUrlOf(tenant, deps.config.settings, request.url)
  const token = tenant?.secrets.twilio_auth_token ?? PLACEHOLDER_TOKEN
  const signature = request.headers.get('x-twilio-signature') ?? undefined
  const jsonVariant = bodyHashOf(url) !== undefined
  const params = jsonVariant ? undefined : parseFormBody(raw)
  const valid = params
    ? await verifyTwilioSignature(token, signature, url, params)
    : await verifyTwilioBodySignature(token, signature, url, raw)

  if (!tenant?.secrets.twilio_auth_token || !valid) {
    deps.log.warn('twilio webhook refused', {
      tenant: tenantId,
      reason: !tenant
        ? 'unknown tenant'
        : !tenant.secrets.twilio_auth_token
          ? 'tenant has no twilio_auth_token'
          : signature
            ? 'signature mismatch'
            : 'no X-Twilio-Signature header',
    })
    throw forbidden()
  }
  return { tenant, rawBody: raw }
}

const badForm = () =>
  new AppError('VALIDATION_FAILED', 'Request body is not valid application/x-www-form-urlencoded.', {
    details: { fields: ['(body)'] },
  })

/**
 * Decode `application/x-www-form-urlencoded` strictly: a malformed escape is an error rather than being
 * kept as-is, since the signature covers the decoded values. A repeated name keeps every value.
 */
export function parseFormBody(raw: string): TwilioParams {
  const params: TwilioParams = Object.create(null)
  for (const pair of raw.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    let name: string
    let value: string
    try {
      name = decodeURIComponent((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '))
      value = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '))
    } catch {
      throw badForm()
    }
    const seen = params[name]
    if (seen === undefined) params[name] = value
    else params[name] = Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return params
}

/** The JSON-body variant: a flat object; numbers and booleans are read as text, as a form would carry them. */
export function parseJsonParams(raw: string): TwilioParams {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (cause) {
    throw new AppError('INVALID_JSON', 'Request body is not valid JSON.', { cause })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('INVALID_JSON', 'Request body must be a JSON object.')
  }
  const params: TwilioParams = Object.create(null)
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = String(v)
    else if (Array.isArray(v)) params[k] = v.map(String)
  }
  return params
}
