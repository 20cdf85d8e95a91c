import { AppError } from '../lib/app-error'
import {
  INBOUND_EVENT_SOURCES,
  INBOUND_STATES,
  type InboundState,
  MESSAGE_SEARCH_STATES,
} from '../lib/vocabulary'
import { type EventQuery, idFloorOf } from '../storage/inbound-events'
import type { MessageQuery } from '../storage/message-search'
import { decodeCursor } from './present'

/**
 * Query parameters of the operator console's API (events, messages, stats): each bad value is a 400
 * `VALIDATION_FAILED` naming the parameter. Empty parameters count as absent.
 */

type Params = Record<string, string | undefined>

export const invalidParam = (param: string, rule: string) =>
  new AppError('VALIDATION_FAILED', `Invalid query parameter ${param}: ${rule}.`, {
    details: { fields: [param] },
  })

const given = (params: Params, name: string) => {
  const v = params[name]
  return v === undefined || v === '' ? undefined : v
}

function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const v = given(params, name)
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) {
    throw invalidParam(name, `must be one of ${allowed.join(', ')}`)
  }
  return v as T | undefined
}

function text(params: Params, name: string, max: number): string | undefined {
  const v = given(params, name)?.trim()
  if (v !== undefined && (v.length > max || /\p{Cc}/u.test(v))) {
    throw invalidParam(name, `must be at most ${max} printable characters`)
  }
  return v || undefined
}

const ISO_8601 = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?)?$/

/** An ISO 8601 date or date-time (UTC unless an offset is given), as ms since the epoch. */
export function time(params: Params, name: string): number | undefined {
  const v = given(params, name)
  if (v === undefined) return undefined
  const ms = ISO_8601.test(v)
    ? Date.parse(/T.*(Z|[+-]\d\d:\d\d)$/.test(v) || !v.includes('T') ? v : `${v}Z`)
    : NaN
  if (Number.isNaN(ms)) throw invalidParam(name, 'must be an ISO 8601 date-time such as 2026-05-01T12:00:00Z')
  return ms
}

/** `from` and `to`, checked against each other. */
export function range(params: Params): { from?: number; to?: number } {
  const from = time(params, 'from')
  const to = time(params, 'to')
  if (from !== undefined && to !== undefined && to <= from) throw invalidParam('to', 'must be after from')
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }
}

export function limit(params: Params): number {
  const raw = given(params, 'limit')
  if (raw === undefined) return 50
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : 0
  if (n < 1 || n > 100) throw invalidParam('limit', 'must be an integer from 1 to 100')
  return n
}

/** `from`, `to`, `limit` and `cursor` (decoded by `decode`, which answers undefined for a bad one). */
function pageParams<C>(params: Params, decode: (cursor: string) => C | undefined) {
  const raw = given(params, 'cursor')
  const cursor = raw === undefined ? undefined : decode(raw)
  if (raw !== undefined && cursor === undefined) {
    throw invalidParam('cursor', 'must be a next_cursor value returned by this endpoint')
  }
  return { ...range(params), cursor, limit: limit(params) }
}

export function parseEventQuery(params: Params): EventQuery {
  const { from, to, cursor: before, limit } = pageParams(params, decodeCursor)
  const q: EventQuery = { limit }
  const source = oneOf(params, 'source', INBOUND_EVENT_SOURCES)
  const state = oneOf<InboundState>(params, 'state', INBOUND_STATES)
  const type = text(params, 'type', 60)
  const search = text(params, 'q', 200)
  if (source) q.source = source
  if (state) q.state = state
  if (type) q.type = type
  if (search) q.q = search
  if (from !== undefined) q.fromId = idFloorOf(from)
  if (to !== undefined) q.toId = idFloorOf(to)
  if (before) q.before = before
  return q
}

const MESSAGE_CURSOR = 'm1:'

/** Message cursors carry the last row's (created_at, guid), base64url-encoded. */
export const encodeMessageCursor = (createdAt: number, guid: string) =>
  btoa(`${MESSAGE_CURSOR}${createdAt}:${encodeURIComponent(guid)}`)
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')

function decodeMessageCursor(cursor: string): { createdAt: number; guid: string } | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined
  try {
    const m = /^m1:(\d{1,15}):(.+)$/s.exec(atob(cursor.replaceAll('-', '+').replaceAll('_', '/')))
    return m ? { createdAt: Number(m[1]), guid: decodeURIComponent(m[2] as string) } : undefined
  } catch {
    return undefined
  }
}

export function parseMessageQuery(params: Params): MessageQuery {
  const { from, to, cursor: after, limit } = pageParams(params, decodeMessageCursor)
  const q: MessageQuery = { limit }
  const state = oneOf(params, 'state', MESSAGE_SEARCH_STATES)
  const provider = oneOf(params, 'provider', ['scg', 'twilio'] as const)
  const search = text(params, 'q', 200)
  if (state) q.state = state
  if (provider) q.provider = provider
  if (search) q.q = search
  if (from !== undefined) q.from = from
  if (to !== undefined) q.to = to
  if (after) q.before = after
  return q
}
