import type { Config } from '../../config/env'
import { publicOrigin } from '../../config/origin'
import type { TenantConfig } from '../../config/tenant'
import { AppError } from '../../lib/app-error'
import { decodeUtf8Exactly } from '../../lib/http'
import { bodyHashOf, type TwilioParams, verifyTwilioBodySignature, verifyTwilioSignature } from './signature'

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
 * Check a webhook's `X-Twilio-Signature` against `authToken`, over the raw body's bytes: form posts over
 * `url` and the parameters decoded from the bytes (UTF-8 exactly, see `formParamsOf`); the JSON-body
 * variant (`?bodySHA256=`) over `url` and the hash of the bytes. Pure; every comparison constant-time.
 * Undefined for a form that does not decode: it cannot be checked at all.
 */
export async function checkTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  body: Uint8Array,
): Promise<boolean | undefined> {
  if (bodyHashOf(url) !== undefined) return verifyTwilioBodySignature(authToken, signature, url, body)
  const params = formParamsOf(body)
  return params && verifyTwilioSignature(authToken, signature, url, params)
}

/**
 * A form body's parameters, decoded from its bytes: undefined unless the bytes are UTF-8 exactly (no
 * byte order mark, no invalid sequence) and every escape decodes (`decodeForm`). Twilio's signature
 * covers the decoded values, so nothing is replaced or dropped before they are compared.
 */
export function formParamsOf(body: Uint8Array): TwilioParams | undefined {
  const text = decodeUtf8Exactly(body)
  return text === undefined ? undefined : decodeForm(text)
}

/** The 400 message of a body that is not a form (`VALIDATION_FAILED`, field `(body)`). */
export const NOT_A_FORM = 'Request body is not valid application/x-www-form-urlencoded.'

const badForm = () => new AppError('VALIDATION_FAILED', NOT_A_FORM, { details: { fields: ['(body)'] } })

/**
 * Decode `application/x-www-form-urlencoded` strictly: a malformed escape is an error rather than being
 * kept as-is, since the signature covers the decoded values. A repeated name keeps every value.
 */
export function parseFormBody(raw: string): TwilioParams {
  const params = decodeForm(raw)
  if (!params) throw badForm()
  return params
}

/** `parseFormBody` as a value: undefined for a malformed escape (an expected outcome, not an error). */
function decodeForm(raw: string): TwilioParams | undefined {
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
      // `decodeURIComponent` throws on a malformed escape: the form does not decode.
      return undefined
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
