import type { MiddlewareHandler } from 'hono'
import { AppError } from '../lib/app-error'
import { safeEqual, sha256Hex } from '../lib/crypto'
import type { AppEnv } from './app-env'

export type KeyRealm = 'api_keys' | 'admin_api_keys'

const unauthorized = () => new AppError('UNAUTHORIZED', 'Missing or invalid x-api-key for this tenant.')

const encoder = new TextEncoder()
const sha256 = (s: string) => crypto.subtle.digest('SHA-256', encoder.encode(s))

/**
 * The configured keys' SHA-256 digests, computed once per isolate and key list (the tenant config is
 * built once per isolate): only the caller's key is hashed per request.
 */
const configuredDigests = new WeakMap<readonly string[], Promise<ArrayBuffer[]>>()
function digestsOf(keys: readonly string[]): Promise<ArrayBuffer[]> {
  let digests = configuredDigests.get(keys)
  if (!digests) {
    digests = Promise.all(keys.map(sha256))
    configuredDigests.set(keys, digests)
  }
  return digests
}

/** Constant time: the digests have one length, and every configured key of every list is compared. */
async function keyMatches(candidate: string, lists: readonly (readonly string[])[]): Promise<boolean> {
  const [given, ...allowed] = await Promise.all([sha256(candidate), ...lists.map(digestsOf)])
  let found = false
  for (const list of allowed) for (const d of list) if (crypto.subtle.timingSafeEqual(given, d)) found = true
  return found
}

/**
 * Authenticate `x-api-key` against the `:tenant` path parameter's `api_keys` (CI360 routes) or
 * `admin_api_keys` (operator routes), in constant time. Unknown tenant and wrong key get the same 401;
 * the keys of one realm never open the other. A route open to both (the bulk job a CI360 task or an
 * operator polls) names both realms.
 */
export function requireTenantKey(...realms: [KeyRealm, ...KeyRealm[]]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get('deps')
    const tenantId = c.req.param('tenant') ?? ''
    const key = c.req.header('x-api-key') ?? ''
    const tenant = deps.config.tenant(tenantId)
    if (!tenant) {
      await safeEqual(key, 'no-such-tenant') // keep the timing of a known tenant
      throw unauthorized()
    }
    if (
      key === '' ||
      !(await keyMatches(
        key,
        realms.map((realm) => tenant.secrets[realm]),
      ))
    )
      throw unauthorized()
    c.set('tenant', tenant)
    c.set('log', c.get('log').child({ tenant: tenant.id }))
    await next()
  }
}

/**
 * Who a change was made by, for audits: `key:` and the first 8 hex digits of the SHA-256 digest of the
 * key used (the digest the keys are compared by above), never the key itself.
 */
export async function keyActor(key: string): Promise<string> {
  return `key:${(await sha256Hex(key)).slice(0, 8)}`
}
