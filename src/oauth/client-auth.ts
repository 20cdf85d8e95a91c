import type { Config } from '../config/env'
import { authScheme, parseBasicAuth } from '../lib/basic-auth'
import { OAuthError } from './errors'
import { checkClient, globalRealm, tenantRealm, type WebhookRealm } from './realms'

/** The client credentials of a token request, as sent (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  /** Candidate (id, secret) pairs: Basic values are tried form-decoded first, then as sent. */
  candidates: { clientId: string; clientSecret: string }[]
  viaHeader: boolean
}

const formDecode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/**
 * Read the client credentials from `Authorization: Basic` or from the `client_id`/`client_secret`
 * parameters; using both, or neither, is an error (RFC 6749 §2.3).
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: URLSearchParams,
): ClientCredentials {
  const bodyId = params.get('client_id')
  const bodySecret = params.get('client_secret')
  if (authorization) {
    if (authScheme(authorization) !== 'basic') throw OAuthError.invalidClient(true)
    if (bodySecret !== null) {
      throw new OAuthError(
        400,
        'invalid_request',
        'Send client credentials either in the header or in the body.',
      )
    }
    const basic = parseBasicAuth(authorization)
    if (!basic) throw OAuthError.invalidClient(true)
    const decoded = { clientId: formDecode(basic.username), clientSecret: formDecode(basic.password) }
    const raw = { clientId: basic.username, clientSecret: basic.password }
    const same = decoded.clientId === raw.clientId && decoded.clientSecret === raw.clientSecret
    return { candidates: same ? [raw] : [decoded, raw], viaHeader: true }
  }
  if (!bodyId || !bodySecret) throw OAuthError.invalidClient(false)
  return { candidates: [{ clientId: bodyId, clientSecret: bodySecret }], viaHeader: false }
}

/**
 * Which credential set a client belongs to. A client id listed in `SCG_WEBHOOK_AUTH` is a global
 * client; any other is looked up in the tenant named by the `tenant` parameter (form body, or the
 * token URL's query string) or by a requested scope `webhook:<tenant>`.
 */
function candidateRealm(
  config: Config,
  isGlobal: boolean,
  tenantHint: string | undefined,
): WebhookRealm | undefined {
  if (isGlobal) return globalRealm(config)
  if (!tenantHint) return undefined
  const tenant = config.tenant(tenantHint)
  return tenant ? tenantRealm(tenant) : undefined
}

/** The tenant named by a requested scope `webhook:<tenant>`, if that is all the scope asks for. */
export function tenantOfScope(scope: string | null): string | undefined {
  const items = (scope ?? '').split(' ').filter(Boolean)
  const first = items[0]
  if (!first?.startsWith('webhook:') || first === 'webhook:*') return undefined
  return items.every((i) => i === first) ? first.slice('webhook:'.length) : undefined
}

/** Authenticate the client: returns its id and realm, or throws `invalid_client` (401). */
export async function authenticateClient(
  config: Config,
  creds: ClientCredentials,
  tenantHint: string | undefined,
): Promise<{ clientId: string; realm: WebhookRealm }> {
  const global = globalRealm(config)
  for (const c of creds.candidates) {
    const realm = candidateRealm(config, await checkClient(global, c.clientId), tenantHint)
    if (realm && (await checkClient(realm, c.clientId, c.clientSecret)))
      return { clientId: c.clientId, realm }
  }
  throw OAuthError.invalidClient(creds.viaHeader)
}
