import type { Ci360Event } from '../../ci360/client'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import type { Logger } from '../../lib/log'
import type { ScgStatusFields } from '../../providers/scg/webhook'
import { createDeliveryStore } from '../../storage/deliveries'
import { type EventPlan, type HistoryUpdate, ignore, ownString } from './plan'

/**
 * `message_state_change` (DESIGN §2.2): the tenant is the 3rd `|` part of `external_message_request_id`,
 * else the route tenant, else `tenant_id`; the identity is its first two parts (`datahub_id`,
 * `externalCode`; the Java agent's two-part ids work too). The event name comes from the resolved
 * tenant's `scg_response_event_<new_state>`. When the message is one of ours, its status is added to
 * the delivery history whether or not an event is sent.
 */
export async function planStatus(
  deps: Deps,
  log: Logger,
  route: TenantConfig | undefined,
  f: ScgStatusFields,
): Promise<EventPlan> {
  const parts = f.external_message_request_id.split('|').map((p) => p.trim())
  const tenantId = parts[2] || route?.id || deps.config.settings.tenant_id
  if (!tenantId) return ignore('no tenant: the external id names none and tenant_id is not set')
  if (route && tenantId !== route.id) {
    log.warn('scg status for another tenant ignored', { resolved_tenant: tenantId })
    return ignore('the event belongs to another tenant')
  }
  const tenant = route ?? deps.config.tenant(tenantId)
  if (!tenant) {
    log.warn('scg status for an unknown tenant ignored', { resolved_tenant: tenantId })
    return ignore('the tenant of the event is not configured')
  }

  const history = await historyUpdate(deps, log, tenant, f)
  const datahubId = parts.length >= 2 ? parts[0] : undefined
  const eventName = ownString(tenant.settings.scg_response_events, f.new_state)
  let event: Ci360Event | undefined
  let reason: string | undefined
  if (!datahubId) reason = 'external_message_request_id carries no identity'
  else if (!eventName) reason = `no scg_response_event_${f.new_state.slice(0, 40)} is configured`
  else {
    event = { eventName, datahub_id: datahubId, externalCode: parts[1] ?? '' }
    if (tenant.settings.ci360_include_status_details) {
      if (f.message_id) event.message_id = f.message_id
      event.new_state = f.new_state
      if (f.reason_code) event.reason_code = f.reason_code
    }
  }
  if (!event && !history) return ignore(reason ?? 'nothing to do', tenant.id)
  return { kind: 'act', tenant, event, history, reason }
}

/** Our delivery behind `message_request_id` (the id SCG answered our send with), for this tenant only. */
async function historyUpdate(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  f: ScgStatusFields,
): Promise<HistoryUpdate | undefined> {
  if (!f.message_request_id) return undefined
  const row = await createDeliveryStore(deps.db).findByProviderMessageId('scg', f.message_request_id)
  if (!row) return undefined
  if (row.tenant_id !== tenant.id) {
    log.warn('scg status names a delivery of another tenant; history not updated', { guid: row.guid })
    return undefined
  }
  const detail = [
    f.message_id ? `message_id ${f.message_id}` : undefined,
    f.reason_code ? `reason_code ${f.reason_code}` : undefined,
  ]
    .filter(Boolean)
    .join(', ')
  return { row, status: f.new_state, detail: detail || undefined }
}
