import { env } from 'cloudflare:workers'
import { FIXTURE_TENANT } from './constants'
import { type TestTenant, testTenant } from './worker'

/** Event Manager credentials as entered in a delivery configuration. */
export interface WebhookCredentials {
  username: string
  password: string
  clientId: string
  clientSecret: string
}

const unique = () => crypto.randomUUID().replaceAll('-', '').slice(0, 12)

function credentials(prefix: string): WebhookCredentials {
  const u = unique()
  return {
    username: `${prefix}-user-${u}`,
    password: `${prefix}-pass:${u}+/=`,
    clientId: `${prefix}-client-${u}`,
    clientSecret: `${prefix}-secret-${u}+&=`,
  }
}

const authJson = (c: WebhookCredentials) => ({
  basic: { username: c.username, password: c.password },
  oauth_clients: [{ client_id: c.clientId, client_secret: c.clientSecret }],
})

/** A test tenant with its own `scg_webhook` credentials (Basic and one OAuth client). */
export function webhookTenant(
  id: string = FIXTURE_TENANT,
  overrides: Record<string, unknown> = {},
): TestTenant & { webhook: WebhookCredentials } {
  const webhook = credentials(`t${id.slice(0, 4)}`)
  return { ...testTenant(id, { scg_webhook: authJson(webhook), ...overrides }), webhook }
}

export const SIGNING_KEY = 'test-token-signing-key-0123456789abcdef'

/** Global vars for the global route: `SCG_WEBHOOK_AUTH`, `TOKEN_SIGNING_KEY`, `tenant_id`. */
export function globalWebhookVars(extra: Record<string, unknown> = {}) {
  const webhook = credentials('global')
  return {
    webhook,
    vars: {
      SCG_WEBHOOK_AUTH: JSON.stringify(authJson(webhook)),
      TOKEN_SIGNING_KEY: SIGNING_KEY,
      tenant_id: FIXTURE_TENANT,
      ...extra,
    } as Record<string, unknown>,
  }
}

/** Put a phone → identity entry in the KV cache, as a successful send would. */
export async function cacheIdentity(phone: string, datahubId: string, tenantId: string = FIXTURE_TENANT) {
  const value = {
    datahub_id: datahubId,
    tenant_id: tenantId,
    expire_ts: Math.floor(Date.now() / 1000) + 3600,
  }
  await env.IDENTITY_CACHE.put(`phone:${phone}`, JSON.stringify(value), { expirationTtl: 3600 })
}

/** The two numbers of the MO fixtures, cached as the fixtures README's preconditions say. */
export async function cacheFixtureIdentities() {
  await cacheIdentity('+14155550123', '3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13')
  await cacheIdentity('+13125550188', 'd05a7c3e-9f12-3b84-8e6d-4c1a0b9f7e28')
}
