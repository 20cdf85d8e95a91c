import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { AppError } from '../lib/app-error'
import { describeError, maskPhone } from '../lib/log'
import { queuedSendOf } from '../storage/queued-send'
import type { PreparedOutbound, Reply } from './types'

/**
 * How long an `accepted` message may sit unclaimed before the cron takes it for lost and queues it
 * again (docs/pacing.md, "Nothing lost"); the consumer moves this forward when the pacer makes a
 * message wait longer.
 */
export const QUEUE_LOST_MS = 5 * 60_000

export interface Acceptance {
  tenant: TenantConfig
  prepared: PreparedOutbound
  bodyText: string
  origin: string | undefined
}

/**
 * `send_mode: queued` (docs/pacing.md): the delivery is claimed `accepted` already; put the event on
 * the `SENDS` queue and answer 202 `ACCEPTED`. When the queue refuses, the claim is released and 503
 * `STORAGE_UNAVAILABLE` is thrown, so CI360 redelivers.
 */
export async function acceptQueued(ctx: RequestContext, a: Acceptance): Promise<Reply> {
  const { tenant, prepared } = a
  const { guid } = prepared.correlation
  const message = queuedSendOf({
    tenant: tenant.id,
    guid,
    provider: prepared.provider.id,
    body: a.bodyText,
    origin: a.origin,
  })
  try {
    if (!ctx.sends) throw new Error('no SENDS queue binding')
    await ctx.sends.send(message, { contentType: 'json' })
  } catch (e) {
    ctx.log.error('send queue refused a message', describeError(e))
    await ctx.stores.deliveries
      .release(tenant.id, guid)
      .catch((re: unknown) => ctx.log.error('claim release failed', describeError(re)))
    throw new AppError('STORAGE_UNAVAILABLE', 'The send queue is unavailable; redeliver the request later.', {
      cause: e,
    })
  }
  ctx.log.info('outbound accepted', {
    to: maskPhone(prepared.message.to),
    sender: prepared.message.sender,
    segments: prepared.segments,
  })
  return { status: 202, body: { status: 'ACCEPTED', guid } }
}
