import type { RawTenantSecret, WebhookAuth } from './tenant'

/** Whose `oauth_clients` list a client id is in: the global `SCG_WEBHOOK_AUTH` or one tenant's. */
export type OAuthClientOwner = { realm: 'global' } | { realm: 'tenant'; tenantId: string }

export type OAuthClientIndex =
  | { ok: true; owners: ReadonlyMap<string, OAuthClientOwner> }
  | { ok: false; issues: string[] }

/** The client ids of a tenant secret's `scg_webhook.oauth_clients`, read without parsing the rest. */
function tenantClientIds(value: unknown): unknown[] {
  const clients = (value as { scg_webhook?: { oauth_clients?: unknown } } | null)?.scg_webhook?.oauth_clients
  return Array.isArray(clients) ? clients.map((c) => (c as { client_id?: unknown } | null)?.client_id) : []
}

/**
 * Index every OAuth client id of `SCG_WEBHOOK_AUTH` and of every `TENANT_<id>` secret, so the token
 * endpoint finds a client's realm by `client_id` alone (Event Manager's OAuth settings have no tenant
 * field). A client id listed twice (in two tenants, or a tenant and the global set, or one list) could
 * belong to either realm: that is a configuration error naming both keys, never the id itself.
 */
export function indexOAuthClients(
  tenants: readonly RawTenantSecret[],
  global: WebhookAuth | undefined,
): OAuthClientIndex {
  const owners = new Map<string, OAuthClientOwner>()
  const keys = new Map<string, string>()
  const issues: string[] = []
  const add = (id: unknown, owner: OAuthClientOwner, key: string) => {
    if (typeof id !== 'string' || id === '') return
    const first = keys.get(id)
    if (first) {
      issues.push(`${key}: duplicates the client id of ${first}; OAuth client ids must be unique`)
      return
    }
    owners.set(id, owner)
    keys.set(id, key)
  }
  global?.oauth_clients?.forEach((c, i) => {
    add(c.client_id, { realm: 'global' }, `SCG_WEBHOOK_AUTH.oauth_clients.${i}.client_id`)
  })
  for (const [name, tenantId, value] of tenants) {
    tenantClientIds(value).forEach((id, i) => {
      add(id, { realm: 'tenant', tenantId }, `${name}.scg_webhook.oauth_clients.${i}.client_id`)
    })
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, owners }
}
