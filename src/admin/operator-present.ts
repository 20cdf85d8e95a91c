import * as z from 'zod/mini'
import type { Deps } from '../deps'
import type { EventDetail, EventItem, MessageItem } from '../openapi/operator-replies'
import type { Body } from '../openapi/reply'
import { type InboundEventRow, type InboundEventSummary, parseTracking } from '../storage/inbound-events'
import type { MessageRow } from '../storage/message-search'
import type { StatsQuery } from '../storage/stats'
import { checkRange, invalidParam, parseQuery, time } from './query'

/** JSON shapes of the operator console's API (snake_case, ISO 8601 UTC times). */

const iso = (ms: number) => new Date(ms).toISOString()

export const eventItem = (row: InboundEventSummary): Body<typeof EventItem> => ({
  id: row.id,
  source: row.source,
  event_key: row.event_key,
  type: row.type,
  state: row.state,
  message_id: row.message_id,
  attempts: row.attempts,
  received_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
})

/** One event with its raw body as received (phone numbers included: admin keys only) and tracking. */
export const eventDetail = (row: InboundEventRow): Body<typeof EventDetail> => ({
  ...eventItem(row),
  content_type: row.content_type,
  body: row.body,
  tracking: parseTracking(row),
})

/** A delivery record as `GET …/messages/:guid` shows it, without `history`. */
export const messageItem = (row: MessageRow): Body<typeof MessageItem> => ({
  guid: row.guid,
  provider: row.provider,
  state: row.state,
  provider_status: row.provider_status,
  message_id: row.provider_message_id,
  external_code: row.external_code,
  recipient: row.recipient_masked,
  attempts: row.attempts,
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
})

const HOUR = 3_600_000
const DAY = 24 * HOUR
const MAX_BUCKETS = 24 * 31

const StatsParams = z.object({
  bucket: z.optional(z.enum(['hour', 'day'], 'must be hour or day')),
  from: time,
  to: time,
})

/**
 * `?from=&to=&bucket=hour|day`. Defaults: `to` = the end of the current hour (or day), `from` = 24
 * buckets earlier for hours, 30 for days. At most 744 buckets per request.
 */
export function parseStatsQuery(
  params: Record<string, string | undefined>,
  deps: Pick<Deps, 'now'>,
): StatsQuery {
  const given = parseQuery(StatsParams, params)
  checkRange(given)
  const bucket = given.bucket ?? 'hour'
  const bucketMs = bucket === 'hour' ? HOUR : DAY
  const to = given.to ?? Math.ceil((deps.now() + 1) / bucketMs) * bucketMs
  const from = given.from ?? to - (bucket === 'hour' ? 24 : 30) * bucketMs
  if (from >= to) throw invalidParam('from', 'must be before to')
  if ((to - from) / bucketMs > MAX_BUCKETS)
    throw invalidParam('from', `must be at most ${MAX_BUCKETS} buckets before to`)
  return { from, to, bucketMs }
}
