import * as z from 'zod/mini'
import type { CursorCodec } from '../lib/cursor'
import { INBOUND_EVENT_SOURCES, INBOUND_STATES, MESSAGE_SEARCH_STATES, PROVIDER_IDS } from '../lib/vocabulary'
import { type EventQuery, idFloorOf } from '../storage/inbound-events'
import type { MessageQuery } from '../storage/message-search'
import {
  checkRange,
  cursor,
  idCursor,
  limit,
  messageCursor,
  oneOf,
  type Params,
  parseQuery,
  text,
  time,
} from './query'

/**
 * Query parameters of the operator console's API (events, messages); each bad value is a 400
 * `VALIDATION_FAILED` naming the parameter (./query.ts). The page's `cursor`, `from` and `to` are read
 * first, then `limit` and the filters.
 */

const pageOf = <T>(codec: CursorCodec<T>) => z.object({ cursor: cursor(codec), from: time, to: time })

function page<T>(codec: CursorCodec<T>, params: Params) {
  const p = parseQuery(pageOf(codec), params)
  checkRange(p)
  return { ...p, limit: parseQuery(z.object({ limit }), params).limit ?? 50 }
}

const EventFilters = z.object({
  source: oneOf(INBOUND_EVENT_SOURCES),
  state: oneOf(INBOUND_STATES),
  type: text(60),
  q: text(200),
})

export function parseEventQuery(params: Params): EventQuery {
  const { cursor: before, from, to, limit } = page(idCursor, params)
  const { source, state, type, q: search } = parseQuery(EventFilters, params)
  const q: EventQuery = { limit }
  if (source) q.source = source
  if (state) q.state = state
  if (type) q.type = type
  if (search) q.q = search
  if (from !== undefined) q.fromId = idFloorOf(from)
  if (to !== undefined) q.toId = idFloorOf(to)
  if (before) q.before = before
  return q
}

const MessageFilters = z.object({
  state: oneOf(MESSAGE_SEARCH_STATES),
  provider: oneOf(PROVIDER_IDS),
  q: text(200),
})

export function parseMessageQuery(params: Params): MessageQuery {
  const { cursor: after, from, to, limit } = page(messageCursor, params)
  const { state, provider, q: search } = parseQuery(MessageFilters, params)
  const q: MessageQuery = { limit }
  if (state) q.state = state
  if (provider) q.provider = provider
  if (search) q.q = search
  if (from !== undefined) q.from = from
  if (to !== undefined) q.to = to
  if (after) q.before = after
  return q
}
