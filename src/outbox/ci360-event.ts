import { type Ci360Client, type Ci360Event, withConnectorEventId } from '../ci360/client'
import type { SendOutcome } from './outcome'
import { type OutboxContext, sendOrStore } from './send-or-store'

/**
 * Send an event to the tenant's CI360 gateway now, or store it as a `ci360_event` failed request for the
 * cron. `key` names the event (`scg:<event-id>`, `bulk:<job id>`, `suppressed:<guid>`…): it makes the
 * store idempotent, and the event sent and stored carries it as `connector_event_id`, so every retry
 * sends the same id (docs/guarantees.md). Throws `StorageError` only when the event could be neither sent
 * nor stored.
 */
export function sendCi360Event(
  ctx: OutboxContext,
  tenantId: string,
  client: Ci360Client,
  key: string,
  event: Ci360Event,
): Promise<SendOutcome<{ status: number }>> {
  const stamped = withConnectorEventId(event, key)
  return sendOrStore(
    ctx,
    { tenantId, kind: 'ci360_event', key, upstream: 'ci360', body: JSON.stringify(stamped) },
    () => client.send(stamped),
    { okStatus: (r) => r.status },
  )
}
