import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'

/** Hono context variables set by the app's middleware. */
export interface AppEnv {
  Variables: {
    requestId: string
    log: Logger
    deps: Deps
    /** Set by `requireTenantKey` once the caller is authenticated for `:tenant`. */
    tenant: TenantConfig
  }
}
