import type { OutboundEvent } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { describeError } from '../lib/log'
import { buildOutbound, validateOutbound } from '../outbound/pipeline'
import type { PreparedOutbound } from '../outbound/types'
import type { Pace } from '../pacer/bucket'
import { parseQueuedSend, type QueuedSend } from '../storage/queued-send'
import { paceOf, pacerName } from './pace'

/** One queue message, parsed and rebuilt into the message its provider sends. */
export interface Item {
  msg: Message<unknown>
  send: QueuedSend
  tenant: TenantConfig
  event: OutboundEvent
  prepared: PreparedOutbound
  pace: Pace | null
  pacer: string
  at: number
  epoch: number
}

/** The seconds Twilio may hold the message: what is left of its `event_ttl` (1–36,000). */
export function validityOf(tenant: TenantConfig, generatedTimestamp: number, now: number): number {
  const left = Math.floor((generatedTimestamp + tenant.settings.event_ttl * 1000 - now) / 1000)
  return Math.min(36_000, Math.max(1, left))
}

/** Parse a queue message and rebuild its provider message; undefined (logged) when that is impossible. */
export function rebuild(ctx: RequestContext, msg: Message<unknown>): Item | undefined {
  const send = parseQueuedSend(msg.body)
  if (!send) {
    ctx.log.error('send queue message not understood; dropped', { id: msg.id })
    return undefined
  }
  const tenant = ctx.config.tenant(send.tenant)
  if (!tenant) {
    ctx.log.error('queued send for an unknown tenant; dropped', { tenant: send.tenant, guid: send.guid })
    return undefined
  }
  try {
    const validated = validateOutbound(JSON.parse(send.body), tenant)
    if ('reply' in validated) return undefined
    const event = validated.event
    const validity = validityOf(tenant, send.deadlineFrom ?? event.date.generatedTimestamp, ctx.now())
    const prepared = buildOutbound(
      ctx,
      send.provider,
      tenant,
      event,
      send.origin,
      send.provider === 'twilio' ? validity : undefined,
    )
    const sender = prepared.message.sender
    return {
      msg,
      send,
      tenant,
      event,
      prepared,
      pace: paceOf(tenant, send.provider, sender),
      pacer: pacerName(tenant.id, send.provider, sender),
      at: 0,
      epoch: 0,
    }
  } catch (e) {
    // It was validated when accepted: only a changed tenant configuration gets here. The cron retries it.
    ctx.log.error('queued send cannot be rebuilt', {
      tenant: send.tenant,
      guid: send.guid,
      ...describeError(e),
    })
    return undefined
  }
}
