import { AppError } from '../lib/app-error'
import { FAILED_REQUEST_KINDS, FAILED_REQUEST_STATES } from '../lib/vocabulary'
import { type DeliveryRow, parseHistory } from '../storage/deliveries'
import type {
  FailedRequestKind,
  FailedRequestRow,
  FailedRequestState,
  FailedRequestSummary,
  ListQuery,
} from '../storage/failed-requests'

/** The JSON shapes of the operator API: snake_case, ISO 8601 UTC times. */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** One failed request as listed: no event body, no lease or meta columns. */
export function failedRequestItem(row: FailedRequestSummary) {
  return {
    id: row.id,
    guid: row.guid,
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    http_status: row.http_status,
    last_error: row.last_error,
    next_attempt_at: iso(row.next_attempt_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }
}

/** One failed request in full: the list fields plus the stored event (as JSON when it parses). */
export function failedRequestDetail(row: FailedRequestRow) {
  let eventBody: unknown = row.event_body
  try {
    eventBody = JSON.parse(row.event_body)
  } catch {
    // Kept as the stored text.
  }
  return { ...failedRequestItem(row), event_body: eventBody }
}

/** The delivery record of one CI360 event (`GET …/messages/:guid`). */
export function deliveryRecord(row: DeliveryRow) {
  return {
    status: 'OK' as const,
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
  }
}

const STATES: readonly FailedRequestState[] = FAILED_REQUEST_STATES
const KINDS: readonly FailedRequestKind[] = FAILED_REQUEST_KINDS
const ID_PATTERN = /^[0-9a-f]{29}$/
const CURSOR_PREFIX = 'v1:'

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export const encodeCursor = (id: string) =>
  btoa(`${CURSOR_PREFIX}${id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined
  let text: string
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'))
  } catch {
    return undefined
  }
  if (!text.startsWith(CURSOR_PREFIX)) return undefined
  const id = text.slice(CURSOR_PREFIX.length)
  return ID_PATTERN.test(id) ? id : undefined
}

const invalid = (param: string, rule: string) =>
  new AppError('VALIDATION_FAILED', `Invalid query parameter ${param}: ${rule}.`, {
    details: { fields: [param] },
  })

/**
 * `?state=&kind=&limit=&cursor=` → a list query; anything out of range → 400 `VALIDATION_FAILED`
 * naming the parameter. Empty parameters count as absent.
 */
export function parseListQuery(params: Record<string, string | undefined>): ListQuery {
  const given = (name: string) => {
    const v = params[name]
    return v === undefined || v === '' ? undefined : v
  }
  const state = given('state')
  if (state !== undefined && !(STATES as readonly string[]).includes(state)) {
    throw invalid('state', `must be one of ${STATES.join(', ')}`)
  }
  const kind = given('kind')
  if (kind !== undefined && !(KINDS as readonly string[]).includes(kind)) {
    throw invalid('kind', `must be one of ${KINDS.join(', ')}`)
  }
  const rawLimit = given('limit')
  let limit = 50
  if (rawLimit !== undefined) {
    limit = /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : 0
    if (limit < 1 || limit > 100) throw invalid('limit', 'must be an integer from 1 to 100')
  }
  const rawCursor = given('cursor')
  const before = rawCursor === undefined ? undefined : decodeCursor(rawCursor)
  if (rawCursor !== undefined && before === undefined) {
    throw invalid('cursor', 'must be a next_cursor value returned by this endpoint')
  }
  return {
    limit,
    ...(state ? { state: state as FailedRequestState } : {}),
    ...(kind ? { kind: kind as FailedRequestKind } : {}),
    ...(before ? { before } : {}),
  }
}
