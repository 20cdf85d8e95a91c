import * as z from 'zod/mini'
import { FAILED_REQUEST_KINDS, FAILED_REQUEST_STATES } from '../lib/vocabulary'
import type { DeliveryRecord, FailedRequestList, FailedRequestOne } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import { type DeliveryRow, parseHistory, type RouteAttempt } from '../storage/deliveries'
import type { FailedRequestRow, FailedRequestSummary, ListQuery } from '../storage/failed-requests'
import { storedList } from '../storage/stored-list'
import { cursor, idCursor, limit, oneOf, type Params, parseQuery } from './query'

/** The JSON shapes of the operator API: snake_case, ISO 8601 UTC times. */

const iso = (ms: number) => new Date(ms).toISOString()
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms))

/** One failed request as listed: no event body, no lease or meta columns. */
export function failedRequestItem(
  row: FailedRequestSummary,
): Body<typeof FailedRequestList>['items'][number] {
  return {
    id: row.id,
    guid: row.guid,
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    http_status: row.http_status,
    last_error: row.last_error,
    next_attempt_at: isoOrNull(row.next_attempt_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }
}

/** One failed request in full: the list fields plus the stored event (as JSON when it parses). */
export function failedRequestDetail(row: FailedRequestRow): Body<typeof FailedRequestOne>['item'] {
  let eventBody: unknown = row.event_body
  try {
    eventBody = JSON.parse(row.event_body)
  } catch {
    // Kept as the stored text.
  }
  return { ...failedRequestItem(row), event_body: eventBody }
}

/** The delivery record of one CI360 event (`GET …/messages/:guid`). */
export function deliveryRecord(row: DeliveryRow): Body<typeof DeliveryRecord> {
  return {
    status: 'OK',
    guid: row.guid,
    provider: row.provider,
    state: row.state,
    provider_status: row.provider_status,
    message_id: row.provider_message_id,
    attempts: row.attempts,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    history: parseHistory(row).map((h) => ({
      state: h.state,
      at: h.at,
      ...(h.detail !== undefined ? { detail: h.detail } : {}),
    })),
    sender: row.sender,
    route_attempts: row.route_attempts === null ? [] : storedList<RouteAttempt>(row.route_attempts),
  }
}

/**
 * One page of a list reply. `rows` was read with `limit + 1`: the extra row only tells that another page
 * exists, and the cursor of the page's last row fetches it.
 */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  limit: number,
  present: (row: Row) => Item,
  cursorOf: (last: Row) => string,
) {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    status: 'OK' as const,
    items: page.map(present),
    next_cursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  }
}

const ListQuerySchema = z.object({
  state: oneOf(FAILED_REQUEST_STATES),
  kind: oneOf(FAILED_REQUEST_KINDS),
  limit,
  cursor: cursor(idCursor),
})

/**
 * `?state=&kind=&limit=&cursor=` → a list query; anything out of range → 400 `VALIDATION_FAILED`
 * naming the parameter (./query.ts). Empty parameters count as absent.
 */
export function parseListQuery(params: Params): ListQuery {
  const { state, kind, limit, cursor: before } = parseQuery(ListQuerySchema, params)
  return {
    limit: limit ?? 50,
    ...(state ? { state } : {}),
    ...(kind ? { kind } : {}),
    ...(before ? { before } : {}),
  }
}
