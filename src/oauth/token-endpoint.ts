import type { RequestContext } from '../deps'
import type { TokenReply as TokenReplySchema } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import { authenticateClient, readClientCredentials, tenantOfScope } from './client-auth'
import { OAuthError } from './errors'
import { checkBasic, type WebhookRealm } from './realms'
import { issueToken, verifyToken } from './tokens'

export interface TokenRequest {
  contentType: string | undefined
  authorization: string | undefined
  body: string
  /** The token URL's query string (a `tenant` parameter may be given there). */
  query: URLSearchParams
}

const GRANTS = ['client_credentials', 'password', 'refresh_token'] as const
type Grant = (typeof GRANTS)[number]

/** Form parameters; a parameter given twice is refused (RFC 6749 §3.2). */
function formParams(req: TokenRequest): URLSearchParams {
  const mediaType = (req.contentType ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.')
  }
  const params = new URLSearchParams(req.body)
  const keys = [...params.keys()]
  const repeated = keys.find((k, i) => keys.indexOf(k) !== i)
  if (repeated) throw new OAuthError(400, 'invalid_request', `Parameter ${repeated} is given more than once.`)
  return params
}

const required = (params: URLSearchParams, name: string): string => {
  const v = params.get(name)
  if (!v) throw new OAuthError(400, 'invalid_request', `Parameter ${name} is required.`)
  return v
}

/**
 * The token endpoint: authenticate the client, run the grant, sign the tokens. Throws
 * `OAuthError` for every refusal.
 */
export async function handleTokenRequest(
  deps: RequestContext,
  req: TokenRequest,
): Promise<Body<typeof TokenReplySchema>> {
  const { log } = deps
  const params = formParams(req)
  const creds = readClientCredentials(req.authorization, params)
  const tenantHint = params.get('tenant') ?? req.query.get('tenant') ?? tenantOfScope(params.get('scope'))
  const { clientId, realm } = await authenticateClient(deps.config, creds, tenantHint ?? undefined)

  const grantType = required(params, 'grant_type')
  if (!(GRANTS as readonly string[]).includes(grantType)) {
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      `Grant type ${grantType.slice(0, 40)} is not supported.`,
    )
  }
  const scope = params.get('scope')
  if (scope !== null && !scope.split(' ').every((s) => s === '' || s === realm.scope)) {
    throw new OAuthError(400, 'invalid_scope', `This client may only be granted scope ${realm.scope}.`)
  }
  const key = deps.config.secrets.tokenSigningKey
  if (!key) {
    log.error('oauth token refused: TOKEN_SIGNING_KEY is not set')
    throw new OAuthError(503, 'temporarily_unavailable', 'Token signing is not configured.')
  }

  const now = deps.now()
  const withRefresh = await runGrant(grantType as Grant, params, { key, now, clientId, realm })
  const access = await issueToken(key, { sub: clientId, scope: realm.scope, typ: 'access' }, now)
  const refresh = withRefresh
    ? await issueToken(key, { sub: clientId, scope: realm.scope, typ: 'refresh' }, now)
    : undefined
  log.info('oauth token issued', { grant_type: grantType, client_id: clientId, realm: realm.name })
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(refresh ? { refresh_token: refresh.token } : {}),
    scope: realm.scope,
  }
}

/** Check the grant; true when it earns a refresh token (`password`, `refresh_token`; RFC 6749 §4.4.3). */
async function runGrant(
  grant: Grant,
  params: URLSearchParams,
  ctx: { key: string; now: number; clientId: string; realm: WebhookRealm },
): Promise<boolean> {
  switch (grant) {
    case 'client_credentials':
      return false
    case 'password': {
      const username = required(params, 'username')
      const password = required(params, 'password')
      if (!(await checkBasic(ctx.realm, username, password))) {
        throw new OAuthError(400, 'invalid_grant', 'The resource owner credentials are invalid.')
      }
      return true
    }
    case 'refresh_token': {
      const claims = await verifyToken(ctx.key, required(params, 'refresh_token'), ctx.now)
      if (claims?.typ !== 'refresh' || claims.sub !== ctx.clientId || claims.scope !== ctx.realm.scope) {
        throw new OAuthError(
          400,
          'invalid_grant',
          'The refresh token is invalid, expired, or not this client’s.',
        )
      }
      return true
    }
  }
}
