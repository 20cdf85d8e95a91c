import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'

/** Hono context variables set by the app's middleware. */
export interface AppEnv {
  Variables: {
    requestId: string
    log: Logger
    deps: Deps
    /** Set by `requireTenantKey` once the caller is authenticated for `:tenant` (and by `verifiedWebhook`). */
    tenant: TenantConfig
    /** Set by `verifiedWebhook` (`http/webhook-auth.ts`): the authenticated delivery, its body read once. */
    webhook: VerifiedWebhook
  }
}

/** A webhook delivery `verifiedWebhook` authenticated, for the route's handler. */
export interface VerifiedWebhook {
  /** The route's tenant (`:tenant`); undefined on a route without one. */
  tenant: TenantConfig | undefined
  /** The raw body, read once. */
  bytes: Uint8Array
  /** The body as text: UTF-8 exactly for a signed source, as `Request.text()` reads it otherwise. */
  text: string
}
