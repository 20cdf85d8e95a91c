import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import { genesysMessageOf } from '../genesys/customer-message'
import { maskPhone } from '../lib/log'
import { ownString } from '../lib/maps'
import { normalizePhone } from '../providers/phone'
import type { MoEvent, WebhookFormat } from '../providers/types'
import { STALE } from '../storage/identity-cache'
import { keywordActionOf } from './keywords'
import { type InboundPlan, ignore, type PlanContext, resolveTenant } from './plan'

/** The tenant whose `genesys.numbers` list the number the customer texted (docs/architecture.md, "Genesys"). */
function genesysNumberTenant(ctx: PlanContext, e: MoEvent): TenantConfig | undefined {
  const to = e.to && normalizePhone(e.to)
  const tenantId = to ? ctx.config.genesysNumberOwner(to) : undefined
  return tenantId ? ctx.config.tenant(tenantId) : undefined
}

/** The `message_body` sent to CI360: a postback as is, else the text (upper-cased when configured). */
export const moMessageBody = (e: Pick<MoEvent, 'body' | 'postback'>, uppercase: boolean): string =>
  e.postback ?? (uppercase ? e.body.toUpperCase() : e.body)

/**
 * A message from a phone (docs/architecture.md, "Inbound"). `identity_field` and `scg_channel_senders`
 * come from the route's tenant (the global settings on a global route), since they are needed before
 * the tenant is known. A text to a number in one tenant's `genesys.numbers` belongs to that tenant's
 * Genesys conversation (configuration, no cache). Otherwise the tenant is the identity-cache entry's (on a
 * tenant route, that tenant's own entry first: docs/storage.md, "KV namespace `IDENTITY_CACHE`"), else the route's, else
 * `tenant_id`; the identity is the sender's address in `identity_field`, else the cached `datahub_id`. The
 * event name and upper-casing come from the resolved tenant. A replay (`stored`: the tenant the event was
 * stored for) keeps its tenant and only uses that tenant's cache entry.
 */
export async function planMo(
  ctx: PlanContext,
  format: WebhookFormat,
  route: TenantConfig | undefined,
  e: MoEvent,
  stored?: TenantConfig,
): Promise<InboundPlan> {
  const routeSettings = route?.settings ?? ctx.config.settings
  // A reply to one of the tenant's Genesys numbers belongs to the Genesys conversation, not to CI360.
  const owner =
    route ?? stored ?? genesysNumberTenant(ctx, e) ?? ctx.config.tenant(routeSettings.tenant_id ?? '')
  const genesys = owner && (await genesysMessageOf(ctx, owner, e))
  if (owner && genesys) {
    const keyword = keywordActionOf(owner.settings, e, undefined)
    return {
      kind: 'act',
      tenant: owner,
      event: undefined,
      genesys,
      history: undefined,
      guid: undefined,
      reason: undefined,
      ...(keyword ? { keyword } : {}),
    }
  }
  const phone = normalizePhone(e.from)
  // KV failing is not "no identity": a StorageError (503) lets Event Manager redeliver instead of the
  // reply being dropped as from an unknown sender.
  const cached = phone
    ? await ctx.stores
        .identities(routeSettings.cache_ttl, ctx.log)
        .lookup(phone, route?.id ?? stored?.id, 'throw')
    : undefined
  const from = maskPhone(e.from)
  if (cached === STALE) {
    ctx.log.warn('reply routed by a stale identity entry ignored', { from })
    return ignore('the identity cache entry of the sender is not the newest for its tenant')
  }
  // A replay: an entry the sender's number now has for another tenant is not this event's.
  const entry = stored && cached?.tenant_id !== stored.id ? undefined : cached
  const tenant = resolveTenant(ctx, route, stored?.id ?? entry?.tenant_id, {
    noun: 'sender',
    noTenant: 'no tenant: the sender is not cached and tenant_id is not set',
    log: { from },
  })
  if ('ignore' in tenant) return ignore(tenant.ignore)

  const identityField = routeSettings.identity_field
  const identity: Record<string, string> | undefined = identityField
    ? { [identityField]: e.address }
    : entry
      ? { datahub_id: entry.datahub_id }
      : undefined
  // An opt-out is recorded even when no MO event can be sent (docs/compliance.md, "Keywords: STOP and START").
  const keyword = keywordActionOf(tenant.settings, e, identity)
  const only = (reason: string): InboundPlan =>
    keyword
      ? { kind: 'act', tenant, event: undefined, history: undefined, guid: undefined, reason, keyword }
      : ignore(reason, tenant.id)
  if (!identity) {
    ctx.log.info('reply from an unknown sender ignored', { from })
    return only('the sender is not in the identity cache and identity_field is blank')
  }
  const mo = format.mo(tenant.settings)
  if (!mo.eventName) return only(mo.missingReason)

  const channel = ownString(routeSettings.scg_channel_senders, e.senderId)
  const event: Ci360Event = {
    eventName: mo.eventName,
    ...identity,
    message_body: moMessageBody(e, mo.uppercase),
    ...(channel ? { channel } : {}),
    ...e.attributes,
  }
  return {
    kind: 'act',
    tenant,
    event,
    history: undefined,
    guid: undefined,
    reason: undefined,
    ...(keyword ? { keyword } : {}),
  }
}
