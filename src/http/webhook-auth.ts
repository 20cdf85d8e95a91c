import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config/env'
import { AppError } from '../lib/app-error'
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
import type { AppEnv } from './app-env'

/**
 * The challenges do not depend on what is configured (or on whether the tenant exists), so a 401
 * tells a caller nothing about either.
 */
const BASIC_CHALLENGE = 'Basic realm="scg-webhook", charset="UTF-8"'
const BEARER_CHALLENGE = 'Bearer realm="scg-webhook"'

const unauthorized = (challenge: string, message = 'Missing or invalid webhook credentials.') =>
  new AppError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challenge } })

/**
 * Authenticate an Event Manager delivery against the credential set in force: the global
 * `SCG_WEBHOOK_AUTH` on `/v1/webhooks/scg`, the tenant's `scg_webhook` on `/v1/webhooks/scg/:tenant`.
 * Accepts HTTP Basic (constant-time) or a Bearer access token from `/v1/oauth/token` whose scope covers
 * the route (`webhook:*` everywhere, `webhook:<tenant>` on that tenant's route) and whose client is
 * still configured. A route without credentials, or an unknown tenant, refuses everything (401, with
 * the answer a wrong credential gets). On the tenant route the tenant is put in the context.
 */
export function requireScgWebhookAuth(route: 'global' | 'tenant'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get('deps')
    let realm = globalRealm(deps.config)
    let known = true
    if (route === 'tenant') {
      const tenantId = c.req.param('tenant') ?? ''
      const tenant = deps.config.tenant(tenantId)
      if (tenant) {
        realm = tenantRealm(tenant)
        c.set('tenant', tenant)
        c.set('log', c.get('log').child({ tenant: tenant.id }))
      } else {
        // Checked like a tenant without credentials, so the time and the answer are the same.
        known = false
        realm = { name: 'unknown', tenantId, scope: tenantScope(tenantId), auth: undefined }
      }
    }
    const log = c.get('log')
    const header = c.req.header('authorization')
    const scheme = authScheme(header)

    if (scheme === 'basic') {
      const creds = parseBasicAuth(header)
      if (!creds || !(await checkBasic(realm, creds.username, creds.password))) {
        log.warn('scg webhook unauthorized', { reason: 'basic credentials rejected', realm: realm.name })
        throw unauthorized(BASIC_CHALLENGE)
      }
      return next()
    }
    if (scheme === 'bearer') {
      let problem = await bearerProblem(deps.config, deps.now(), realm, parseBearer(header))
      if (!problem && !known) problem = 'token scope does not cover this route'
      if (problem) {
        log.warn('scg webhook unauthorized', { reason: problem, realm: realm.name })
        throw unauthorized(
          `${BEARER_CHALLENGE}, error="invalid_token", error_description="${problem}"`,
          'The access token is invalid, expired, or not valid for this route.',
        )
      }
      return next()
    }
    log.warn('scg webhook unauthorized', { reason: 'no credentials', realm: realm.name })
    throw unauthorized(`${BASIC_CHALLENGE}, ${BEARER_CHALLENGE}`)
  }
}

/** Why a Bearer token is refused on this route, or undefined when it is accepted. */
async function bearerProblem(
  config: Config,
  now: number,
  routeRealm: WebhookRealm,
  token: string | undefined,
): Promise<string | undefined> {
  const key = config.secrets.tokenSigningKey
  if (!token) return 'malformed token'
  if (!key) return 'token signing is not configured'
  const claims = await verifyToken(key, token, now)
  if (!claims) return 'token is invalid or expired'
  if (claims.typ !== 'access') return 'not an access token'
  if (claims.scope !== GLOBAL_SCOPE && claims.scope !== routeRealm.scope) {
    return 'token scope does not cover this route'
  }
  // The issuing client must still be configured: removing a client revokes its tokens at once.
  const issuer = claims.scope === GLOBAL_SCOPE ? globalRealm(config) : routeRealm
  if (!(await checkClient(issuer, claims.sub))) return 'client is no longer configured'
  return undefined
}
