import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import type { Config } from '../config/env'
import { AppError } from '../lib/app-error'
import { authScheme, parseBasicAuth, parseBearer } from '../lib/basic-auth'
import { safeEqual } from '../lib/crypto'
import { verifyToken } from '../oauth/tokens'
import {
  checkBasic,
  checkClient,
  GLOBAL_SCOPE,
  globalRealm,
  tenantRealm,
  type WebhookRealm,
} from './credentials'

const realmLabel = (realm: WebhookRealm) => (realm.tenantId ? `scg-webhook/${realm.tenantId}` : 'scg-webhook')

/** The challenges a client without (usable) credentials is told about: what this route accepts. */
function challenges(config: Config, realm: WebhookRealm): string {
  const label = realmLabel(realm)
  const bearer =
    (realm.auth?.oauth_clients?.length ?? 0) > 0 ||
    (realm.tenantId !== undefined && (config.secrets.scgWebhookAuth?.oauth_clients?.length ?? 0) > 0)
  const list = [
    ...(realm.auth?.basic ? [`Basic realm="${label}", charset="UTF-8"`] : []),
    ...(bearer ? [`Bearer realm="${label}"`] : []),
  ]
  return (list.length > 0 ? list : [`Basic realm="${label}"`, `Bearer realm="${label}"`]).join(', ')
}

const unauthorized = (challenge: string, message = 'Missing or invalid webhook credentials.') =>
  new AppError('UNAUTHORIZED', 401, message, { headers: { 'WWW-Authenticate': challenge } })

/**
 * Authenticate an Event Manager delivery (DESIGN §2.2) against the credential set in force: the global
 * `SCG_WEBHOOK_AUTH` on `/v1/webhooks/scg`, the tenant's `scg_webhook` on `/v1/webhooks/scg/:tenant`.
 * Accepts HTTP Basic (constant-time) or a Bearer access token from `/v1/oauth/token` whose scope covers
 * the route (`webhook:*` everywhere, `webhook:<tenant>` on that tenant's route) and whose client is
 * still configured. A route without credentials refuses everything. On the tenant route the tenant is
 * put in the context.
 */
export function requireScgWebhookAuth(route: 'global' | 'tenant'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get('deps')
    const log = c.get('log')
    const header = c.req.header('authorization')
    let realm = globalRealm(deps.config)
    if (route === 'tenant') {
      const tenant = deps.config.tenant(c.req.param('tenant') ?? '')
      if (!tenant) {
        await safeEqual(header ?? '', 'no-such-tenant') // keep the timing of a known tenant
        log.warn('scg webhook unauthorized', { reason: 'unknown tenant' })
        throw unauthorized(`Basic realm="scg-webhook", Bearer realm="scg-webhook"`)
      }
      realm = tenantRealm(tenant)
      c.set('tenant', tenant)
      c.set('log', log.child({ tenant: tenant.id }))
    }

    const scheme = authScheme(header)
    if (scheme === 'basic') {
      const creds = parseBasicAuth(header)
      if (!creds || !(await checkBasic(realm, creds.username, creds.password))) {
        log.warn('scg webhook unauthorized', { reason: 'basic credentials rejected', realm: realm.name })
        throw unauthorized(`Basic realm="${realmLabel(realm)}", charset="UTF-8"`)
      }
      return next()
    }
    if (scheme === 'bearer') {
      const problem = await bearerProblem(deps.config, deps.now(), realm, parseBearer(header))
      if (problem) {
        log.warn('scg webhook unauthorized', { reason: problem, realm: realm.name })
        throw unauthorized(
          `Bearer realm="${realmLabel(realm)}", error="invalid_token", error_description="${problem}"`,
          'The access token is invalid, expired, or not valid for this route.',
        )
      }
      return next()
    }
    log.warn('scg webhook unauthorized', { reason: 'no credentials', realm: realm.name })
    throw unauthorized(challenges(deps.config, realm))
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
  if (claims.scope !== GLOBAL_SCOPE && claims.scope !== routeRealm.scope)
    return 'token scope does not cover this route'
  // The issuing client must still be configured: removing a client revokes its tokens at once.
  const issuer = claims.scope === GLOBAL_SCOPE ? globalRealm(config) : routeRealm
  if (!(await checkClient(issuer, claims.sub))) return 'client is no longer configured'
  return undefined
}
