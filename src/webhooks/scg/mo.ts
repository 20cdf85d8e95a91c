import type { Ci360Event } from '../../ci360/client'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import type { Logger } from '../../lib/log'
import { maskPhone } from '../../lib/log'
import { normalizePhone } from '../../providers/phone'
import type { ScgMoFields } from '../../providers/scg/webhook'
import { createIdentityCache } from '../../storage/identity-cache'
import { type EventPlan, ignore, ownString } from './plan'

/**
 * An RCS suggested-reply postback: the body parses to an object with a string `postbackData`. Any other
 * text — including JSON scalars such as "1", "true", "null" or "[1]" — is a plain reply.
 */
export function rcsPostback(body: string): string | undefined {
  const trimmed = body.trim()
  if (!trimmed.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(trimmed)
    const postback = (value as { postbackData?: unknown }).postbackData
    return typeof postback === 'string' ? postback : undefined
  } catch {
    return undefined
  }
}

/** The `message_body` sent to CI360: the postback as is, else the text (upper-cased when configured). */
export const moMessageBody = (body: string, uppercase: boolean): string =>
  rcsPostback(body) ?? (uppercase ? body.toUpperCase() : body)

/**
 * `mo_message_received` (DESIGN §2.2). `identity_field` and `scg_channel_senders` come from the route
 * tenant (the global vars on the global route), since they are needed before the tenant is known; the
 * tenant is the identity-cache entry's, else the route tenant, else `tenant_id`; the event name and
 * upper-casing come from that tenant.
 */
export async function planMo(
  deps: Deps,
  log: Logger,
  route: TenantConfig | undefined,
  f: ScgMoFields,
): Promise<EventPlan> {
  const routeSettings = route?.settings ?? deps.config.settings
  const phone = normalizePhone(f.from_address)
  // KV failing is not "no identity": answer 503 so Event Manager redelivers instead of dropping the reply.
  const cached = phone
    ? await createIdentityCache(deps.kv, routeSettings.cache_ttl, log).lookup(phone, 'throw')
    : undefined
  const tenantId = cached?.tenant_id || route?.id || deps.config.settings.tenant_id
  const from = maskPhone(f.from_address)
  if (!tenantId) return ignore('no tenant: the sender is not cached and tenant_id is not set')
  if (route && tenantId !== route.id) {
    log.warn('scg reply for another tenant ignored', { resolved_tenant: tenantId, from })
    return ignore('the sender belongs to another tenant')
  }
  const tenant = route ?? deps.config.tenant(tenantId)
  if (!tenant) {
    log.warn('scg reply for an unknown tenant ignored', { resolved_tenant: tenantId, from })
    return ignore('the tenant of the sender is not configured')
  }

  const identityField = routeSettings.identity_field
  const identity: Record<string, string> | undefined = identityField
    ? { [identityField]: f.from_address }
    : cached
      ? { datahub_id: cached.datahub_id }
      : undefined
  if (!identity) {
    log.info('scg reply from an unknown sender ignored', { from })
    return ignore('the sender is not in the identity cache and identity_field is blank')
  }
  const eventName = tenant.settings.scg_mo_event
  if (!eventName) return ignore('scg_mo_event is not configured')

  const channel = ownString(routeSettings.scg_channel_senders, f.sender_id_id)
  const event: Ci360Event = {
    eventName,
    ...identity,
    message_body: moMessageBody(f.message_body, tenant.settings.scg_mo_body_uppercase),
    ...(channel ? { channel } : {}),
  }
  return { kind: 'act', tenant, event, history: undefined, reason: undefined }
}
