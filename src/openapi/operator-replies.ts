import * as z from 'zod/mini'
import { INBOUND_EVENT_SOURCES, INBOUND_STATES, PROVIDER_IDS } from '../lib/vocabulary'

/**
 * Reply shapes of the operator console's routes (docs/console.md). Like ./replies.ts they type the
 * handlers' returns; unlike it they are written inline in the OpenAPI document rather than as components.
 */

export const iso = () => z.string().check(z.regex(/^\d{4}-\d\d-\d\dT/))

const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({ status: z.literal('OK'), items: z.array(item), next_cursor: z.nullable(z.string()) })

export const EventItem = z.object({
  id: z.string(),
  source: z.enum(INBOUND_EVENT_SOURCES),
  event_key: z.string(),
  type: z.string(),
  state: z.enum(INBOUND_STATES),
  message_id: z.nullable(z.string()),
  attempts: z.number(),
  received_at: iso(),
  updated_at: iso(),
})
const Tracking = z.object({
  at: iso(),
  target: z.nullable(z.string()),
  http_status: z.nullable(z.number()),
  latency_ms: z.nullable(z.number()),
  outcome: z.string(),
  replay: z.optional(z.boolean()),
})
export const EventDetail = z.extend(EventItem, {
  content_type: z.nullable(z.string()),
  body: z.string(),
  tracking: z.array(Tracking),
})
export const EventList = page(EventItem)
export const EventOne = z.object({ status: z.literal('OK'), item: EventDetail })
export const Marked = z.object({ status: z.literal('OK') })

/** A delivery record as `GET …/messages/:guid` shows it, without `history`. */
export const MessageItem = z.object({
  guid: z.string(),
  provider: z.enum(PROVIDER_IDS),
  state: z.string(),
  provider_status: z.nullable(z.string()),
  message_id: z.nullable(z.string()),
  external_code: z.nullable(z.string()),
  recipient: z.nullable(z.string()),
  attempts: z.number(),
  created_at: iso(),
  updated_at: iso(),
})
export const MessageList = page(MessageItem)

const Counts = z.record(z.string(), z.number())
export const StatsReply = z.object({
  status: z.literal('OK'),
  buckets: z.array(z.object({ at: iso(), deliveries: Counts, provider_statuses: Counts, events: Counts })),
  pending: z.object({ failed_requests: z.number(), uncertain: z.number() }),
})
