import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { StatusEvent, WebhookFormat } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import { receiptOf, receiptStatusOf } from './genesys'
import { type InboundPlan, ignore, type PlanContext, resolveTenant } from './plan'

/**
 * A provider status about a message we sent (docs/architecture.md, "Inbound"). The tenant is the one the
 * provider echoes back, else the route's, else `tenant_id`; the identity is the echoed one, else our
 * delivery's. The status is added to our delivery's history whether or not an event is sent.
 */
export async function planStatus(
  ctx: PlanContext,
  format: WebhookFormat,
  route: TenantConfig | undefined,
  e: StatusEvent,
): Promise<InboundPlan> {
  const tenant = resolveTenant(ctx, route, e.echo?.tenantId, {
    noun: 'event',
    noTenant: 'no tenant: the external id names none and tenant_id is not set',
    log: {},
  })
  if ('ignore' in tenant) return ignore(tenant.ignore)

  const row = e.providerMessageId
    ? await ctx.stores.deliveries.findByProviderMessageId(format.provider, e.providerMessageId)
    : undefined
  const ours = row && row.tenant_id === tenant.id ? row : undefined
  if (row && !ours) ctx.log.warn('status names a delivery of another tenant', { guid: row.guid })
  if (ours?.source === 'genesys') return planGenesysReceipt(ctx, tenant, ours, e)
  if (!ours && !e.echo) {
    ctx.log.warn('status for an unknown message', e.logFields)
    return ignore(format.noIdentityReason)
  }

  const identity = e.echo
    ? e.echo.identity
    : ours && { datahub_id: ours.identity_id, externalCode: ours.external_code ?? '' }
  const named = format.statusEventName(tenant.settings, e.status)
  let event: Ci360Event | undefined
  let reason: string | undefined
  if (!identity) reason = format.noIdentityReason
  else if ('reason' in named) reason = named.reason
  else {
    event = { eventName: named.name, ...identity }
    if (tenant.settings.ci360_include_status_details) Object.assign(event, e.details)
  }
  const history = ours && { guid: ours.guid, status: e.status, detail: e.historyDetail }
  if (!event && !history) return ignore(reason ?? 'nothing to do')
  return { kind: 'act', tenant, event, history, guid: ours?.guid, reason }
}

/**
 * A status of a message Genesys asked us to send: recorded in the history like any other, and a final
 * one becomes the message's receipt to Genesys; nothing goes to CI360.
 */
function planGenesysReceipt(
  ctx: PlanContext,
  tenant: TenantConfig,
  ours: DeliveryRow,
  e: StatusEvent,
): InboundPlan {
  const status = receiptStatusOf(e.status)
  const reason =
    status === 'Failed' ? { code: 'GeneralError', message: `provider status ${e.status}` } : undefined
  const genesys =
    status && tenant.secrets.genesys?.open_messaging ? receiptOf(ours, status, ctx.now(), reason) : undefined
  return {
    kind: 'act',
    tenant,
    event: undefined,
    ...(genesys ? { genesys } : {}),
    history: { guid: ours.guid, status: e.status, detail: e.historyDetail },
    guid: ours.guid,
    reason: genesys ? undefined : 'not a final status of a Genesys message',
  }
}
