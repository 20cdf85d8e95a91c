import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import { type Deps, withShard } from '../deps'
import { receiptForStatus } from '../genesys/receipts'
import type { ProviderId } from '../lib/vocabulary'
import { providerOptOutEntry } from '../outbound/suppression'
import { isSlowDownReceipt } from '../pacing/signals'
import type { GenesysCall } from '../providers/genesys/client'
import type { StatusEvent, WebhookFormat } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import { isLateStatus } from './order'
import { type InboundPlan, ignore, type PlanContext, type RequeueAfterReceipt, resolveTenant } from './plan'

/**
 * Our delivery a status is about: by the provider's message id, else (SCG) by the guid our external id
 * carries, which also finds a send whose reply we never saw.
 */
async function findDelivery(
  ctx: PlanContext,
  format: WebhookFormat,
  tenantId: string,
  e: StatusEvent,
  guidHint: string | undefined,
): Promise<DeliveryRow | undefined> {
  const deliveries = ctx.stores.deliveries
  // Over several databases (docs/scaling.md): the guid the status carries (SCG's external id, our
  // Twilio callback's query) names the one database to ask; without it, every database is asked.
  const guid = e.echo?.guid ?? guidHint
  if (guid && ctx.shards && ctx.shards.count > 1) {
    const row = await withShard(ctx as Pick<Deps, 'shards' | 'stores'>, guid).stores.deliveries.get(
      tenantId,
      guid,
    )
    const sameMessage =
      !e.providerMessageId || !row?.provider_message_id || row.provider_message_id === e.providerMessageId
    if (row && row.provider === format.provider && sameMessage) return row
  }
  const byId = e.providerMessageId
    ? await deliveries.findByProviderMessageId(format.provider, e.providerMessageId)
    : null
  if (byId) return byId
  const byGuid = e.echo?.guid ? await deliveries.get(tenantId, e.echo.guid) : null
  return byGuid && byGuid.provider === format.provider ? byGuid : undefined
}

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
  /** The guid our Twilio status callback URL carries (docs/scaling.md), if any. */
  guidHint?: string,
): Promise<InboundPlan> {
  const tenant = resolveTenant(ctx, route, e.echo?.tenantId, {
    noun: 'event',
    noTenant: 'no tenant: the external id names none and tenant_id is not set',
    log: {},
  })
  if ('ignore' in tenant) return ignore(tenant.ignore)

  const row = await findDelivery(ctx, format, tenant.id, e, guidHint)
  const ours = row && row.tenant_id === tenant.id ? row : undefined
  if (row && !ours) ctx.log.warn('status names a delivery of another tenant', { guid: row.guid })
  if (!ours && !e.echo) {
    ctx.log.warn('status for an unknown message', e.logFields)
    return ignore(format.noIdentityReason, tenant.id)
  }

  const identity = e.echo
    ? e.echo.identity
    : ours && { datahub_id: ours.identity_id, externalCode: ours.external_code ?? '' }
  const named = format.statusEventName(tenant.settings, e.status)
  const late = ours !== undefined && isLateStatus(format.statusOrder, ours.provider_status, e.status)
  let event: Ci360Event | undefined
  let reason: string | undefined
  let genesys: GenesysCall | undefined
  const requeue = !late && ours ? requeueOf(format.provider, ours, e) : undefined
  if (requeue) reason = `over the sender's rate (${requeue.reason}): back on the queue, no event`
  else if (late)
    reason = `late status ${e.status} after final ${ours?.provider_status}: recorded in the history only`
  else if (ours?.source === 'genesys') {
    // A message Genesys asked us to send: its status goes to Genesys, nothing to CI360.
    genesys = receiptForStatus(tenant, ours, e.status, ctx.now(), e.optOut !== undefined)
    if (!genesys) reason = 'no receipt: not the first final status of a Genesys message'
  } else if (!identity) reason = format.noIdentityReason
  else if ('reason' in named) reason = named.reason
  else {
    event = { eventName: named.name, ...identity }
    if (ours?.response_tracking_code) event.responseTrackingCode = ours.response_tracking_code
    // A routed send (docs/guarantees.md, "Failover"): the provider and sender that actually sent it.
    if (ours?.route_attempts) {
      event.provider = ours.provider
      if (ours.sender) event.sender = ours.sender
    }
    if (tenant.settings.ci360_include_status_details) Object.assign(event, e.details)
  }
  const history = ours && {
    guid: ours.guid,
    status: e.status,
    detail: late ? ['late, not applied', e.historyDetail].filter(Boolean).join('; ') : e.historyDetail,
    apply: !late,
    ...(e.optOut && !late ? { optOut: optOutOf(ctx, tenant, e, e.optOut) } : {}),
    ...(requeue ? { requeue } : {}),
  }
  if (!event && !history) return ignore(reason ?? 'nothing to do', tenant.id)
  return { kind: 'act', tenant, event, ...(genesys ? { genesys } : {}), history, guid: ours?.guid, reason }
}

/**
 * A receipt that fails a paced message for its sender's rate (docs/pacing.md, "Slow-down"): the message
 * was never delivered, so it goes back on the queue; undefined for any other status or an unpaced send.
 */
function requeueOf(provider: ProviderId, ours: DeliveryRow, e: StatusEvent): RequeueAfterReceipt | undefined {
  const code = e.details.reason_code ?? e.details.error_code
  if (ours.state !== 'sent' || ours.segments === null || !ours.event_body) return undefined
  if (!isSlowDownReceipt(provider, e.status, code)) return undefined
  return { provider, sender: ours.sender, body: ours.event_body, reason: code ?? e.status }
}

/** A provider's opt-out answer in a status: the list entry (docs/compliance.md), when the number is named. */
function optOutOf(
  ctx: PlanContext,
  tenant: TenantConfig,
  e: StatusEvent,
  o: NonNullable<StatusEvent['optOut']>,
) {
  const entry = providerOptOutEntry(tenant, o, o.code, e.providerMessageId ?? e.key)
  if (!entry)
    ctx.log.warn('opt-out answer without a recipient number: the number is not listed', { code: o.code })
  return { code: o.code, entry }
}
