import type { Ci360Event } from '../../ci360/client'
import type { TenantConfig } from '../../config/tenant'
import type { DeliveryRow } from '../../storage/deliveries'

/** A provider status to add to one of our deliveries' history. */
export interface HistoryUpdate {
  row: DeliveryRow
  status: string
  detail: string | undefined
}

/**
 * What to do with one Event Manager event, decided before anything is written: nothing (`ignore`,
 * with the reason logged and answered), or record a delivery status and/or inject a CI360 event.
 */
export type EventPlan =
  | { kind: 'ignore'; reason: string /** When known: the tenant the event belongs to. */; tenantId?: string }
  | {
      kind: 'act'
      tenant: TenantConfig
      event: Ci360Event | undefined
      history: HistoryUpdate | undefined
      /** Why no CI360 event is sent when `event` is undefined (the history is still recorded). */
      reason: string | undefined
    }

export const ignore = (reason: string, tenantId?: string): EventPlan =>
  tenantId ? { kind: 'ignore', reason, tenantId } : { kind: 'ignore', reason }

/** A configured name for `key` in an event-name map, never an inherited property (`constructor`…). */
export function ownString(map: Record<string, string>, key: string | undefined): string | undefined {
  if (key === undefined || !Object.hasOwn(map, key)) return undefined
  const value = map[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}
