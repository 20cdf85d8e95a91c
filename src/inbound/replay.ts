import type { Deps } from '../deps'
import { AppError } from '../lib/app-error'
import type { InboundSource } from '../providers/types'
import type { WebhookReplyBody } from '../providers/webhook-reply'
import type { InboundEventRow } from '../storage/inbound-events'
import { handleInbound } from './flow'

/** The webhook a stored row came in on: its provider, and for Twilio the type (`status`, `inbound`). */
function sourceOf(row: InboundEventRow): InboundSource | undefined {
  if (row.source === 'scg') return 'scg'
  if (row.source === 'twilio' && (row.type === 'status' || row.type === 'inbound'))
    return `twilio-${row.type}`
  return undefined
}

/**
 * The operator's replay (docs/console.md, "Replay"): the stored body through the same flow as a
 * delivery, on the route tenant it arrived for and for the tenant it was stored for (a reply on the global
 * route is not routed by the identity cache again), minus the dedupe claim. Answers the webhook's own reply.
 */
export async function replayStoredEvent(deps: Deps, row: InboundEventRow): Promise<WebhookReplyBody> {
  const source = sourceOf(row)
  if (!source) {
    throw new AppError('VALIDATION_FAILED', `Events of source ${row.source} cannot be replayed.`, {
      details: { fields: ['source'] },
    })
  }
  const route = row.route_tenant_id ? deps.config.tenant(row.route_tenant_id) : undefined
  if (row.route_tenant_id && !route) {
    throw new AppError('CONFIG_INVALID', 'The tenant this event arrived for is no longer configured.')
  }
  // The tenant the event was stored for, not the one the identity cache names today.
  const tenant = deps.config.tenant(row.tenant_id)
  if (!tenant) throw new AppError('CONFIG_INVALID', 'The tenant of this event is no longer configured.')
  const headers = new Headers(row.content_type ? { 'content-type': row.content_type } : {})
  const result = await handleInbound(deps, {
    source,
    route,
    rawBody: row.body,
    headers,
    replayOf: { id: row.id, tenant },
  })
  return result.reply
}
