import { validationError } from '../../lib/validation'
import { TWILIO_MESSAGE_STATUSES } from '../../lib/vocabulary'
import { isOptOutCode } from '../opt-out'
import { normalizePhone } from '../phone'
import type { InboundEvent, InboundOutcome, StatusOrder, WebhookFormat } from '../types'
import { TwilioInboundSchema, TwilioStatusCallbackSchema } from './schemas'
import type { TwilioParams } from './signature'
import { parseFormBody, parseJsonParams } from './webhook'

/** `MediaUrl0..N-1` joined with `,` and no spaces (CI360 attributes are strings). */
export function mediaUrlsOf(params: TwilioParams, numMedia: number): string | undefined {
  const urls: string[] = []
  for (let i = 0; i < numMedia; i++) {
    const url = params[`MediaUrl${i}`]
    if (typeof url === 'string' && url.trim() !== '') urls.push(url.trim())
  }
  return urls.length > 0 ? urls.join(',') : undefined
}

/** `twilio_response_event_<status>`; a mapping written in another case (`…_DELIVERED`) also counts. */
export function responseEventName(events: Record<string, string>, status: string): string | undefined {
  const key = Object.hasOwn(events, status)
    ? status
    : Object.keys(events).find((k) => k.toLowerCase() === status)
  return key === undefined ? undefined : events[key]
}

/** The JSON-body variant arrives as `application/json`; every other callback is a form post. */
const paramsOf = (rawBody: string, headers: Headers): TwilioParams =>
  /^application\/json\b/i.test(headers.get('content-type') ?? '')
    ? parseJsonParams(rawBody)
    : parseFormBody(rawBody)

/**
 * The signature proves who sent a status, not what it holds: a value outside Twilio's set is handled,
 * logged, stored and answered as `unknown` (no mapping, so never injected), never repeated as sent.
 */
const knownStatus = (status: string): string =>
  (TWILIO_MESSAGE_STATUSES as readonly string[]).includes(status) ? status : 'unknown'

function statusEvent(params: TwilioParams): InboundEvent {
  const parsed = TwilioStatusCallbackSchema.safeParse(params)
  if (!parsed.success) throw validationError(parsed.error)
  const sid = parsed.data.MessageSid
  const status = knownStatus(parsed.data.MessageStatus.toLowerCase())
  const errorCode = parsed.data.ErrorCode?.trim() || undefined
  return {
    type: 'status',
    key: `${sid}:${status}`,
    logFields: { message_sid: sid, message_status: status },
    eventType: 'status',
    messageId: sid,
    providerMessageId: sid,
    status,
    echo: undefined,
    details: { message_id: sid, status, ...(errorCode ? { error_code: errorCode } : {}) },
    historyDetail: errorCode ? `error_code ${errorCode}` : undefined,
    ...(isOptOutCode('twilio', errorCode) ? { optOut: optOutOf(params, errorCode ?? '') } : {}),
  }
}

/** A status callback's 21610: the recipient (`To`) and the sender scope (the Messaging Service, else `From`). */
function optOutOf(params: TwilioParams, code: string) {
  const one = (k: string) => {
    const v = params[k]
    const s = (Array.isArray(v) ? v[0] : v)?.trim()
    return s ? s : undefined
  }
  return {
    code,
    to: one('To'),
    sender: one('MessagingServiceSid') ?? one('From')?.replace(/^whatsapp:/i, ''),
  }
}

function moEvent(params: TwilioParams): InboundEvent {
  const parsed = TwilioInboundSchema.safeParse(params)
  if (!parsed.success) throw validationError(parsed.error)
  const { MessageSid: sid, From: from } = parsed.data
  const media = mediaUrlsOf(params, Number(parsed.data.NumMedia ?? '0'))
  return {
    type: 'mo',
    key: `inbound:${sid}`,
    logFields: { message_sid: sid },
    eventType: 'inbound',
    messageId: sid,
    from,
    to: typeof parsed.data.To === 'string' ? parsed.data.To : undefined,
    address: normalizePhone(from) ?? from.replace(/^whatsapp:/i, ''),
    body: parsed.data.Body,
    postback: undefined,
    senderId: undefined,
    attributes: media ? { media_urls: media } : {},
    ...optOutTypeOf(params.OptOutType),
  }
}

/** `OptOutType` STOP or START (docs/protocols.md, "Twilio"); HELP and anything else decide nothing. */
function optOutTypeOf(value: TwilioParams[string] | undefined): { optOutType?: 'STOP' | 'START' } {
  const v = typeof value === 'string' ? value.trim().toUpperCase() : ''
  return v === 'STOP' || v === 'START' ? { optOutType: v } : {}
}

const sidOf = (event: InboundEvent) => String(event.logFields.message_sid ?? '')

/**
 * Twilio message statuses in the order they happen (docs/protocols.md, "Twilio"): delivered,
 * undelivered, failed and canceled are final; read comes after delivered.
 */
const TWILIO_ORDER: StatusOrder = {
  rank: {
    accepted: 0,
    scheduled: 0,
    queued: 0,
    sending: 1,
    sent: 2,
    delivered: 3,
    undelivered: 3,
    failed: 3,
    canceled: 3,
    partially_delivered: 3,
    read: 4,
  },
  finalFrom: 3,
}

const shared = {
  provider: 'twilio',
  statusOrder: TWILIO_ORDER,
  statusEventName(settings, status) {
    const name = responseEventName(settings.twilio_response_events, status)
    return name ? { name } : { reason: `no twilio_response_event_${status} mapping` }
  },
  noIdentityReason: 'no delivery record for this MessageSid',
  mo: (settings) => ({
    eventName: settings.twilio_mo_event || undefined,
    missingReason: 'twilio_mo_event is not configured',
    uppercase: settings.twilio_mo_body_uppercase,
  }),
} satisfies Omit<WebhookFormat, 'source' | 'parse' | 'reply'>

const details = (o: InboundOutcome) => ({
  ...(o.guid ? { guid: o.guid } : {}),
  ...(o.status === 'IGNORED' && o.reason ? { reason: o.reason } : {}),
  ...(o.eventName ? { event_name: o.eventName } : {}),
  ...(o.retryAt ? { retry_at: new Date(o.retryAt).toISOString() } : {}),
})

/** Twilio status callbacks (docs/protocols.md, "Twilio"). */
export const twilioStatusWebhook: WebhookFormat = {
  ...shared,
  source: 'twilio-status',
  parse: (rawBody, headers) => statusEvent(paramsOf(rawBody, headers)),
  reply: (event, o) => ({
    status: o.status,
    message_sid: sidOf(event),
    message_status: String(event.logFields.message_status ?? ''),
    ...details(o),
  }),
}

/** Twilio incoming messages (docs/protocols.md, "Twilio"); the route answers TwiML. */
export const twilioInboundWebhook: WebhookFormat = {
  ...shared,
  source: 'twilio-inbound',
  parse: (rawBody, headers) => moEvent(paramsOf(rawBody, headers)),
  reply: (event, o) => ({ status: o.status, message_sid: sidOf(event), ...details(o) }),
}
