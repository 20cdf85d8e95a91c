import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'
import type { GenesysCall } from '../providers/genesys/client'
import type { SuppressionEntry } from '../storage/suppressions'
import type { KeywordAction } from './keywords'

/** A provider status to add to one of our deliveries' history. */
export interface HistoryUpdate {
  guid: string
  status: string
  detail: string | undefined
  /** False for a late status: recorded in the history, `provider_status` kept. */
  apply: boolean
  /**
   * The provider says the recipient opted out: the delivery becomes `rejected` (`OPTED_OUT`) and the
   * entry (absent when the webhook names no recipient) is added to the list, with the claim.
   */
  optOut?: { code: string; entry: SuppressionEntry | undefined }
  /**
   * A paced message the provider failed for its sender's rate (SCG 1039/1067, Twilio 30001): it was never
   * delivered, so the delivery goes back to `accepted` with the claim and the message back on the queue
   * (docs/pacing.md, "Slow-down").
   */
  requeue?: RequeueAfterReceipt
}

/** What a receipt's re-queue needs: the stored event, its sender's pacer, and why. */
export interface RequeueAfterReceipt {
  provider: 'scg' | 'twilio'
  sender: string | null
  body: string
  reason: string
}

/**
 * What to do with one delivery, decided before anything is written: nothing (`ignore`, with the reason
 * logged and answered; nothing is claimed), or record a delivery status and/or inject a CI360 event.
 */
export type InboundPlan =
  /** `tenantId`: the tenant the event belongs to, when known (its operator sees the stored event). */
  | { kind: 'ignore'; reason: string; tenantId?: string }
  | {
      kind: 'act'
      tenant: TenantConfig
      event: Ci360Event | undefined
      history: HistoryUpdate | undefined
      /** A Genesys receipt or customer message, sent instead of a CI360 event (docs/protocols.md, "Genesys"). */
      genesys?: GenesysCall
      /** Our delivery the event is about, when there is one. */
      guid: string | undefined
      /** Why no CI360 event is sent when `event` is undefined (the history is still recorded). */
      reason: string | undefined
      /** An opt-out or opt-in word from the sender (docs/compliance.md, "Keywords: STOP and START"). */
      keyword?: KeywordAction
    }

export const ignore = (reason: string, tenantId?: string): InboundPlan =>
  tenantId ? { kind: 'ignore', reason, tenantId } : { kind: 'ignore', reason }

/** Lookups a plan may make; nothing is written while planning. */
export type PlanContext = Pick<Deps, 'config' | 'kv' | 'stores' | 'now'> & {
  log: Logger
  /** The hot tables' databases (docs/scaling.md); absent: one database. */
  shards?: Deps['shards']
}

/**
 * The tenant an event belongs to: the one the event names (`named`), else the route's, else the global
 * `tenant_id`. On a tenant's route, an event of another tenant is ignored: one tenant's credentials never
 * inject into another tenant.
 */
export function resolveTenant(
  ctx: PlanContext,
  route: TenantConfig | undefined,
  named: string | undefined,
  about: { noun: 'event' | 'sender'; noTenant: string; log: Record<string, string | undefined> },
): TenantConfig | { ignore: string } {
  const tenantId = named || route?.id || ctx.config.settings.tenant_id
  if (!tenantId) return { ignore: about.noTenant }
  if (route && tenantId !== route.id) {
    ctx.log.warn(`${about.noun} of another tenant ignored`, { resolved_tenant: tenantId, ...about.log })
    return { ignore: `the ${about.noun} belongs to another tenant` }
  }
  const tenant = route ?? ctx.config.tenant(tenantId)
  if (!tenant) {
    ctx.log.warn(`${about.noun} of an unknown tenant ignored`, { resolved_tenant: tenantId, ...about.log })
    return { ignore: `the tenant of the ${about.noun} is not configured` }
  }
  return tenant
}
