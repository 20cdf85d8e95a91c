import type { MiddlewareHandler } from 'hono'
import { AppError } from '../lib/app-error'
import { matchesAny, safeEqual } from '../lib/crypto'
import type { AppEnv } from './app-env'

export type KeyRealm = 'api_keys' | 'admin_api_keys'

const unauthorized = () => new AppError('UNAUTHORIZED', 'Missing or invalid x-api-key for this tenant.')

/**
 * Authenticate `x-api-key` against the `:tenant` path parameter's `api_keys` (CI360 routes) or
 * `admin_api_keys` (operator routes), in constant time. Unknown tenant and wrong key get the same 401;
 * the keys of one realm never open the other.
 */
export function requireTenantKey(realm: KeyRealm): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get('deps')
    const tenantId = c.req.param('tenant') ?? ''
    const key = c.req.header('x-api-key') ?? ''
    const tenant = deps.config.tenant(tenantId)
    if (!tenant) {
      await safeEqual(key, 'no-such-tenant') // keep the timing of a known tenant
      throw unauthorized()
    }
    if (key === '' || !(await matchesAny(key, tenant.secrets[realm]))) throw unauthorized()
    c.set('tenant', tenant)
    c.set('log', c.get('log').child({ tenant: tenant.id }))
    await next()
  }
}
