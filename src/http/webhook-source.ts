import type { Config } from '../config/env'
import type { TenantConfig } from '../config/tenant'
import type { ErrorCode, ErrorDetails } from '../lib/app-error'
import { err, ok, type Result } from '../lib/result'

/**
 * How one webhook source proves who sent a delivery (docs/architecture.md, "Inbound", step 1): the
 * credential material in force for the route, a pure `verify()` over the delivery's raw bytes and
 * headers, and the answers the contract gives (Event Manager 401 with `WWW-Authenticate`, Twilio and
 * Genesys 403). `http/webhook-auth.ts` runs every source through one middleware.
 */

/** What a source's `verify()` sees: the raw body bytes as received and the headers. */
export interface Delivery {
  body: Uint8Array
  headers: Headers
  /** ms since the epoch (Bearer token expiry). */
  now: number
}

/** A refusal or a request error, with the code (and so the status, `ERROR_CODES`) the contract gives. */
export interface WebhookFailure {
  code: Extract<
    ErrorCode,
    'UNAUTHORIZED' | 'FORBIDDEN' | 'VALIDATION_FAILED' | 'INVALID_JSON' | 'CONFIG_INVALID'
  >
  message: string
  /** Reply headers (`WWW-Authenticate` of a 401). */
  headers?: Record<string, string>
  details?: ErrorDetails
  /** Why a 401/403 refused the delivery, for its log line: ids and reasons only, never a secret. */
  log?: { reason: string } & Record<string, string>
}

/** The outcome of a `verify()`: the sender is who the route's credentials say, or a typed failure. */
export type Verdict = Result<true, WebhookFailure>

export const verified: Verdict = ok(true)
export const failedWith = (failure: WebhookFailure): Verdict => err(failure)

/** The route a delivery arrived on: its tenant (when the path names one) and its path parameters. */
export interface RouteInfo {
  config: Config
  /** The `:tenant` path parameter; undefined on a route without one. */
  tenantId: string | undefined
  /** That tenant's configuration, when it exists. */
  tenant: TenantConfig | undefined
  param(name: string): string | undefined
  /** The URL the request arrived on. */
  url: string
}

/** The route's credential material, or why it has none (a product or channel not configured). */
export type Found<M> = { material: M } | { missing: string }

/**
 * A source: its credential material, its `verify()` and its refusals. (Method syntax on purpose: a
 * source of any material type is a `WebhookSource`, as `checkDelivery` and the source list take it.)
 */
export interface WebhookSource<M = unknown> {
  /**
   * The credential covers the body (an HMAC): the body is read before verifying and, once verified,
   * must be UTF-8 exactly. Otherwise (credentials in a header) it is read after and decoded as
   * `Request.text()` does.
   */
  readonly signed: boolean
  /** The log line of a 401/403. */
  readonly refusedLog: string
  /** Fields of that line besides the failure's own. */
  logFields?(route: RouteInfo): Record<string, string>
  /** The material in force for a known `:tenant` (or for the route, on a route without one). */
  material(route: RouteInfo): Found<M>
  /** Material of the same shape that no request matches, verified against when there is none. */
  placeholder(route: RouteInfo): M
  /** Pure: the delivery against the material. */
  verify(delivery: Delivery, material: M): Promise<Verdict>
  /** The refusal when there was no material (`reason`), given what verifying the placeholder said. */
  refuseMissing(reason: string, verdict: Verdict): WebhookFailure
}

/** A source, its material type checked where it is written. */
export const defineSource = <M>(source: WebhookSource<M>): WebhookSource<M> => source

/** A secret that no sender holds: the placeholder material's. */
export const NO_SECRET = '\u0000no-such-tenant-placeholder-secret'

const isRefusal = (f: WebhookFailure) => f.code === 'UNAUTHORIZED' || f.code === 'FORBIDDEN'

/**
 * The one place a missing tenant or secret is handled: the delivery is verified against placeholder
 * material all the same, so an unknown tenant (or a tenant without that product) costs the work of a
 * known one and timing does not tell which tenants exist; it is refused afterwards. A failure that does
 * not depend on credentials (a body that does not decode, a configuration error) is answered as is.
 * Undefined when the delivery is authenticated for the route.
 */
export async function checkDelivery<M>(
  source: WebhookSource<M>,
  route: RouteInfo,
  delivery: Delivery,
): Promise<WebhookFailure | undefined> {
  const found: Found<M> =
    route.tenantId !== undefined && !route.tenant ? { missing: 'unknown tenant' } : source.material(route)
  const material = 'material' in found ? found.material : source.placeholder(route)
  const verdict = await source.verify(delivery, material)
  if (!verdict.ok && !isRefusal(verdict.error)) return verdict.error
  if ('missing' in found) return source.refuseMissing(found.missing, verdict)
  return verdict.ok ? undefined : verdict.error
}

/** 403 `FORBIDDEN` naming the signature header (Twilio, Genesys). */
export const forbidden = (header: string, reason: string): WebhookFailure => ({
  code: 'FORBIDDEN',
  message: `Missing or invalid ${header} for this tenant.`,
  log: { reason },
})

/**
 * 400 `INVALID_JSON` for a verified signed body that is not UTF-8 exactly. Signed bodies are JSON
 * (Genesys, Twilio's `?bodySHA256=` variant): a Twilio form was decoded exactly before its signature
 * was checked (`checkTwilioSignature`).
 */
export const notUtf8Json = (): WebhookFailure => ({
  code: 'INVALID_JSON',
  message: 'Request body must be UTF-8 JSON without a byte order mark.',
})
