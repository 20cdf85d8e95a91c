import { ownString } from '../../lib/maps'
import { isOptOutCode } from '../opt-out'
import type { InboundEvent, StatusOrder, WebhookFormat } from '../types'
import { parseScgDelivery, type ScgMoFields, type ScgStatusFields } from './webhook'

/**
 * An RCS suggested-reply postback: the body parses to an object with a string `postbackData`. Any other
 * text — including JSON scalars such as "1", "true", "null" or "[1]" — is a plain reply.
 */
export function rcsPostback(body: string): string | undefined {
  const trimmed = body.trim()
  if (!trimmed.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(trimmed)
    const postback = (value as { postbackData?: unknown }).postbackData
    return typeof postback === 'string' ? postback : undefined
  } catch {
    return undefined
  }
}

/**
 * Our send's `external_id` is `identityId|externalCode|tenant|guid` (docs/protocols.md, "Event Manager"):
 * the tenant is its 3rd part, the identity its first two (the Java agent's two-part ids and our earlier
 * three-part ids work too), our guid its 4th.
 */
function statusEvent(key: string, f: ScgStatusFields): InboundEvent {
  const parts = f.external_message_request_id.split('|').map((p) => p.trim())
  const datahubId = parts.length >= 2 ? parts[0] : undefined
  const historyDetail = [
    f.message_id ? `message_id ${f.message_id}` : undefined,
    f.reason_code ? `reason_code ${f.reason_code}` : undefined,
  ]
    .filter(Boolean)
    .join(', ')
  return {
    type: 'status',
    key,
    logFields: {},
    eventType: 'message_state_change',
    messageId: f.message_request_id || undefined,
    providerMessageId: f.message_request_id || undefined,
    status: f.new_state,
    echo: {
      tenantId: parts[2] || undefined,
      identity: datahubId ? { datahub_id: datahubId, externalCode: parts[1] ?? '' } : undefined,
      guid: parts[3] || undefined,
    },
    details: {
      ...(f.message_id ? { message_id: f.message_id } : {}),
      new_state: f.new_state,
      ...(f.reason_code ? { reason_code: f.reason_code } : {}),
    },
    historyDetail: historyDetail || undefined,
    ...(f.new_state.toUpperCase() === 'FAILED' && isOptOutCode('scg', f.reason_code)
      ? { optOut: { code: f.reason_code?.trim() ?? '', to: f.to_address, sender: f.from_address } }
      : {}),
  }
}

const moEvent = (key: string, f: ScgMoFields): InboundEvent => ({
  type: 'mo',
  key,
  logFields: {},
  eventType: 'mo_message_received',
  messageId: f.message_id || undefined,
  from: f.from_address,
  to: typeof f.to_address === 'string' ? f.to_address : undefined,
  address: f.from_address,
  body: f.message_body,
  postback: rcsPostback(f.message_body),
  senderId: f.sender_id_id,
  attributes: {},
})

/**
 * SCG message states in the order they happen (docs/protocols.md, "Syniverse SCG"); DELIVERED and the
 * failures are final, READ and CONVERTED (a click) come after delivery.
 */
const SCG_ORDER: StatusOrder = {
  rank: {
    CREATED: 0,
    SCHEDULED: 0,
    QUEUED: 0,
    PAUSED: 0,
    SENT: 1,
    DELIVERED: 2,
    FAILED: 2,
    EXPIRED: 2,
    DELETED: 2,
    READ: 3,
    CONVERTED: 4,
  },
  finalFrom: 2,
}

/** Syniverse Event Manager deliveries (docs/protocols.md, "Event Manager"). */
export const scgWebhook: WebhookFormat = {
  source: 'scg',
  provider: 'scg',
  statusOrder: SCG_ORDER,
  parse(rawBody, headers) {
    const d = parseScgDelivery(rawBody, headers.get('content-type') ?? undefined)
    const logFields = {
      event_id: d.eventId,
      evt_tp: d.kind === 'other' ? d.eventType.slice(0, 60) : d.kind,
      attempt: d.attempt,
    }
    const event: InboundEvent =
      d.kind === 'status'
        ? statusEvent(d.eventId, d.fields)
        : d.kind === 'mo'
          ? moEvent(d.eventId, d.fields)
          : {
              type: 'other',
              key: d.eventId,
              logFields,
              eventType: d.eventType.slice(0, 60),
              messageId: undefined,
              reason: `event type ${d.eventType.slice(0, 60)} is not handled`,
            }
    return { ...event, logFields }
  },
  statusEventName(settings, status) {
    const name = ownString(settings.scg_response_events, status)
    return name ? { name } : { reason: `no scg_response_event_${status.slice(0, 40)} is configured` }
  },
  noIdentityReason: 'external_message_request_id carries no identity',
  mo: (settings) => ({
    eventName: settings.scg_mo_event || undefined,
    missingReason: 'scg_mo_event is not configured',
    uppercase: settings.scg_mo_body_uppercase,
  }),
  reply: (event, o) => ({
    status: o.status,
    event_id: event.key,
    ...(o.reason && o.status === 'IGNORED' ? { reason: o.reason } : {}),
    ...(o.retryAt ? { retry_at: new Date(o.retryAt).toISOString() } : {}),
  }),
}
