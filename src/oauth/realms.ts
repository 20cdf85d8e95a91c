import type { Config } from '../config/env'
import type { TenantConfig, WebhookAuth } from '../config/tenant'
import { safeEqual } from '../lib/crypto'

/** OAuth scope of tokens issued to the global (`SCG_WEBHOOK_AUTH`) clients: every webhook route. */
export const GLOBAL_SCOPE = 'webhook:*'

/** OAuth scope of tokens issued to a tenant's `scg_webhook` clients: that tenant's route only. */
export const tenantScope = (tenantId: string) => `webhook:${tenantId}`

/**
 * One set of Event Manager credentials and what it grants: the global set (`SCG_WEBHOOK_AUTH`, scope
 * `webhook:*`) or one tenant's `scg_webhook` (scope `webhook:<tenant>`).
 */
export interface WebhookRealm {
  /** `global` or the tenant id; used in `WWW-Authenticate` and logs. */
  readonly name: string
  readonly tenantId: string | undefined
  readonly scope: string
  readonly auth: WebhookAuth | undefined
}

export const globalRealm = (config: Config): WebhookRealm => ({
  name: 'global',
  tenantId: undefined,
  scope: GLOBAL_SCOPE,
  auth: config.secrets.scgWebhookAuth,
})

export const tenantRealm = (tenant: TenantConfig): WebhookRealm => ({
  name: tenant.id,
  tenantId: tenant.id,
  scope: tenantScope(tenant.id),
  auth: tenant.secrets.scg_webhook,
})

/** HTTP Basic check against the realm's `basic` entry, in constant time; false when none is configured. */
export async function checkBasic(realm: WebhookRealm, username: string, password: string): Promise<boolean> {
  const basic = realm.auth?.basic
  const [userOk, passOk] = await Promise.all([
    safeEqual(username, basic?.username ?? '\u0000no-basic'),
    safeEqual(password, basic?.password ?? '\u0000no-basic'),
  ])
  return basic !== undefined && userOk && passOk
}

/**
 * Whether `clientId` (and, when given, `clientSecret`) matches one of the realm's `oauth_clients`. Every
 * client is compared, so the time taken does not reveal which (or whether one) matched.
 */
export async function checkClient(
  realm: WebhookRealm,
  clientId: string,
  clientSecret?: string,
): Promise<boolean> {
  const clients = realm.auth?.oauth_clients ?? []
  let found = false
  for (const client of clients) {
    const [idOk, secretOk] = await Promise.all([
      safeEqual(clientId, client.client_id),
      clientSecret === undefined ? Promise.resolve(true) : safeEqual(clientSecret, client.client_secret),
    ])
    if (idOk && secretOk) found = true
  }
  if (clients.length === 0) await safeEqual(clientId, '\u0000no-clients')
  return found
}
