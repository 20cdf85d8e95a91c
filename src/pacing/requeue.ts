import type { TenantConfig } from '../config/tenant'
import { type Deps, withRowShard } from '../deps'
import type { RequeueAfterReceipt } from '../inbound/plan'
import { describeError } from '../lib/log'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { type QueuedSend, queuedSendOf } from '../storage/queued-send'
import { pacerName } from './pace'
import { slowDownSender } from './slow-down'

/** Rows put back on the queue per cron run; more wait for the next minute. */
const MAX_PER_RUN = 500

/**
 * Nothing accepted is lost (docs/pacing.md, "Nothing lost"): an `accepted` row past `queued_until` lost
 * its queue message (the queue refused a re-send, or a consumer died before it could put a waiting
 * message back). Put it on the queue again and move its deadline, in one batch per run. A second copy of
 * a message on the queue is harmless: only one consumer can take the row. Returns how many were queued.
 */
export async function requeueLost(deps: Deps): Promise<number> {
  if (!deps.sends) return 0
  const now = deps.now()
  const rows = await deps.stores.deliveries.lostAccepted(now, MAX_PER_RUN)
  const sends: MessageSendRequest<QueuedSend>[] = []
  // One batch per database the rows came from (docs/scaling.md).
  const holds = new Map<
    D1Database,
    { store: Deps['stores']['deliveries']; statements: D1PreparedStatement[] }
  >()
  for (const row of rows) {
    if (!row.event_body) continue
    const origin = deps.config.tenant(row.tenant_id)?.settings.public_base_url
    sends.push({
      body: queuedSendOf({
        tenant: row.tenant_id,
        guid: row.guid,
        provider: row.provider,
        body: row.event_body,
        origin,
      }),
      contentType: 'json',
    })
    const db = deps.shards.originOf(row) ?? deps.shards.home
    const group = holds.get(db) ?? {
      store: withRowShard(deps, row, row.guid).stores.deliveries,
      statements: [],
    }
    group.statements.push(group.store.holdAccepted(row.tenant_id, row.guid, now + QUEUE_LOST_MS))
    holds.set(db, group)
  }
  if (sends.length === 0) return 0
  try {
    for (let i = 0; i < sends.length; i += 100) await deps.sends.sendBatch(sends.slice(i, i + 100))
    await Promise.all([...holds.values()].map((g) => g.store.exec('deliveries.requeue', g.statements)))
  } catch (e) {
    deps.log.error('lost queued sends not re-queued', describeError(e))
    return 0
  }
  deps.log.warn('lost queued sends re-queued', { count: sends.length })
  return sends.length
}

/** After a slow-down receipt the message comes back after this long (the pacer's pause and a margin). */
const RECEIPT_DELAY_S = 2

/**
 * A receipt failed a paced message for its sender's rate (the delivery is `accepted` again, written with
 * the webhook's claim): halve the sender's pace and put the message back on the queue. Never throws: a
 * message that cannot be queued now is found by the cron (`requeueLost`).
 */
export async function requeueAfterReceipt(
  deps: Deps,
  tenant: TenantConfig,
  guid: string,
  r: RequeueAfterReceipt,
) {
  const origin = tenant.settings.public_base_url
  try {
    await slowDownSender(deps, pacerName(tenant.id, r.provider, r.sender ?? undefined), r.reason)
  } catch (e) {
    deps.log.error('sender not slowed down', describeError(e))
  }
  try {
    await deps.sends?.send(
      queuedSendOf({ tenant: tenant.id, guid, provider: r.provider, body: r.body, origin }),
      { contentType: 'json', delaySeconds: RECEIPT_DELAY_S },
    )
  } catch (e) {
    deps.log.error('message not re-queued after a slow-down receipt; the cron will', describeError(e))
  }
}
