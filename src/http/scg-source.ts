import type { Config } from '../config/env'
import { authScheme, parseBasicAuth, parseBearer } from '../lib/basic-auth'
import {
  checkBasic,
  checkClient,
  GLOBAL_SCOPE,
  globalRealm,
  tenantRealm,
  tenantScope,
  type WebhookRealm,
} from '../oauth/realms'
import { verifyToken } from '../oauth/tokens'
import { defineSource, failedWith, verified, type WebhookFailure } from './webhook-source'

/**
 * Syniverse Event Manager (docs/webhooks.md, "Setting up Event Manager"): HTTP Basic (constant-time) or
 * a Bearer access token from `/v1/oauth/token` whose scope covers the route (`webhook:*` everywhere,
 * `webhook:<tenant>` on that tenant's route) and whose client is still configured. A route without
 * credentials refuses everything with the answer a wrong credential gets (401).
 */

/**
 * The challenges do not depend on what is configured (or on whether the tenant exists), so a 401
 * tells a caller nothing about either.
 */
const BASIC_CHALLENGE = 'Basic realm="scg-webhook", charset="UTF-8"'
const BEARER_CHALLENGE = 'Bearer realm="scg-webhook"'

/** The credential set in force on the route, and what a Bearer token is checked with. */
export interface ScgMaterial {
  realm: WebhookRealm
  global: WebhookRealm
  signingKey: string | undefined
}

const unauthorized = (
  challenge: string,
  reason: string,
  realm: Pick<WebhookRealm, 'name'>,
  message = 'Missing or invalid webhook credentials.',
): WebhookFailure => ({
  code: 'UNAUTHORIZED',
  message,
  headers: { 'WWW-Authenticate': challenge },
  log: { reason, realm: realm.name },
})

const badToken = (problem: string, realm: Pick<WebhookRealm, 'name'>) =>
  unauthorized(
    `${BEARER_CHALLENGE}, error="invalid_token", error_description="${problem}"`,
    problem,
    realm,
    'The access token is invalid, expired, or not valid for this route.',
  )

const materialOf = (config: Config, realm: WebhookRealm): ScgMaterial => ({
  realm,
  global: globalRealm(config),
  signingKey: config.secrets.tokenSigningKey,
})

/** The Authorization header against the material. Pure (the clock is the delivery's). */
async function verifyScg({ headers, now }: { headers: Headers; now: number }, m: ScgMaterial) {
  const header = headers.get('authorization')
  const scheme = authScheme(header)
  if (scheme === 'basic') {
    const creds = parseBasicAuth(header)
    if (creds && (await checkBasic(m.realm, creds.username, creds.password))) return verified
    return failedWith(unauthorized(BASIC_CHALLENGE, 'basic credentials rejected', m.realm))
  }
  if (scheme === 'bearer') {
    // OAuth clients configured but no signing key: no token can be checked until an operator sets
    // it, so answer 5xx and let Event Manager redeliver (it never redelivers after a 401).
    if (!m.signingKey && [m.realm, m.global].some((r) => r.auth?.oauth_clients?.length)) {
      return failedWith({
        code: 'CONFIG_INVALID',
        message: 'Bearer tokens cannot be checked: TOKEN_SIGNING_KEY is not set.',
      })
    }
    const problem = await bearerProblem(m, now, parseBearer(header))
    return problem ? failedWith(badToken(problem, m.realm)) : verified
  }
  return failedWith(unauthorized(`${BASIC_CHALLENGE}, ${BEARER_CHALLENGE}`, 'no credentials', m.realm))
}

/** Why a Bearer token is refused on this route, or undefined when it is accepted. */
async function bearerProblem(m: ScgMaterial, now: number, token: string | undefined) {
  if (!token || !m.signingKey) return 'malformed token'
  const claims = await verifyToken(m.signingKey, token, now)
  if (!claims) return 'token is invalid or expired'
  if (claims.typ !== 'access') return 'not an access token'
  if (claims.scope !== GLOBAL_SCOPE && claims.scope !== m.realm.scope) {
    return 'token scope does not cover this route'
  }
  // The issuing client must still be configured: removing a client revokes its tokens at once.
  const issuer = claims.scope === GLOBAL_SCOPE ? m.global : m.realm
  if (!(await checkClient(issuer, claims.sub))) return 'client is no longer configured'
  return undefined
}

/**
 * `/v1/webhooks/scg` (the global `SCG_WEBHOOK_AUTH`) and `/v1/webhooks/scg/:tenant` (that tenant's
 * `scg_webhook`, its tokens scoped `webhook:<tenant>`). An unknown tenant is checked like a tenant
 * without credentials (`checkDelivery`); only a token that passed (a `webhook:*` one) still needs
 * refusing, as a token that does not cover the route.
 */
export const scgWebhook = defineSource<ScgMaterial>({
  signed: false,
  refusedLog: 'scg webhook unauthorized',
  material: ({ config, tenant }) => ({
    material: materialOf(config, tenant ? tenantRealm(tenant) : globalRealm(config)),
  }),
  placeholder: ({ config, tenantId = '' }) =>
    materialOf(config, { name: 'unknown', tenantId, scope: tenantScope(tenantId), auth: undefined }),
  verify: verifyScg,
  refuseMissing: (_reason, verdict) =>
    verdict.ok ? badToken('token scope does not cover this route', { name: 'unknown' }) : verdict.error,
})
