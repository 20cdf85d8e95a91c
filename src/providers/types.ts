import type { Channel, CreativeProblem } from '../ci360/creative'
import type { Settings as TenantSettings } from '../config/settings'
import type { TenantConfig } from '../config/tenant'
import type { FetchFn } from '../lib/http'
import type { Logger } from '../lib/log'
import type { Result } from '../lib/result'
import type { ProviderId } from '../lib/vocabulary'
import type { UpstreamAttempt } from '../upstream/attempt'
import type { UpstreamError } from '../upstream/error'
import type { ReachProbe } from '../upstream/probe'
import type { WebhookReplyBody } from './webhook-reply'

export type { ProviderId, UpstreamAttempt }

/**
 * Who a message is sent for, echoed back by the provider where it can (SCG's `external_id`,
 * `identity|externalCode|tenant|guid`): the CI360 identity and `externalCode` (for Genesys: its message
 * id and `genesys`), our tenant, and our delivery's guid.
 */
export interface Correlation {
  identity: string
  externalCode: string
  tenant: string
  guid: string
}

/**
 * A message to send, in no sender's vocabulary: CI360 (a creative of an outbound event) and Genesys
 * (an Open message) each map into it; the provider builds its request from it.
 */
export interface OutboundInput {
  to: string
  /** The sender asked for; absent: the provider's configured default. */
  from?: string
  body: string
  /** Media URLs, in order. */
  media: string[]
  channel?: Channel
  correlation: Correlation
  /**
   * How long the provider may hold the message before giving up (s; paced sends pass the event's
   * remaining `event_ttl`, docs/pacing.md). Only Twilio takes one (`ValidityPeriod`).
   */
  validitySeconds?: number
}

/** A provider-specific request, ready to send (kept opaque to the pipeline). */
export interface OutboundMessage {
  /** The recipient as sent to the provider (after channel prefixes). */
  to: string
  /** The phone number behind `to`, used as the identity-cache key; undefined for non-phone addresses. */
  phone: string | undefined
  payload: unknown
  /**
   * The sender actually used (resolved FROM, SCG channel or sender id, Twilio Messaging Service): the
   * sender scope of the opt-out check (docs/compliance.md, "Suppression on every send").
   */
  sender?: string
  /**
   * The number the opt-out list is checked against when it is not `phone` (a Genesys customer's number,
   * kept out of the identity cache).
   */
  address?: string
  /** The channel asked for (absent: SMS): the channel scope of the opt-out check. */
  channel?: Channel
}

export interface SendReceipt {
  /** The provider's id for the message (SCG message request id, Twilio SID); null if it sent none. */
  messageId: string | null
  providerStatus?: string
}

/** One outbound messaging provider: owns its wire format, maps failures to `UpstreamError`. */
export interface MessageProvider {
  readonly id: ProviderId
  /** Build the provider request; fails (never throws) when the creative cannot be sent as given. */
  prepare(input: OutboundInput): Result<OutboundMessage, CreativeProblem>
  send(message: OutboundMessage): Promise<Result<SendReceipt, UpstreamError>>
  /**
   * Ask the provider whether it already accepted `message` (created at or after `since`, ms): the
   * message found (its id), or null when there is none. Used after a send whose outcome we could not
   * see (docs/guarantees.md). A provider without it is never re-sent automatically after one.
   */
  find?(message: OutboundMessage, since: number): Promise<Result<FoundMessage | null, UpstreamError>>
}

/**
 * How far back a provider's list is searched: from the claim, less a margin for clocks that disagree
 * (ours and the provider's).
 */
export const LOOKUP_CLOCK_MARGIN_MS = 5 * 60_000

/** A message the provider already has. */
export interface FoundMessage {
  messageId: string | null
}

export interface ProviderContext {
  tenant: TenantConfig
  fetch: FetchFn
  /** Tells a refused connection from a dropped one (`upstream/probe.ts`); absent: every transport error is ambiguous. */
  probe?: ReachProbe | undefined
  now: () => number
  log: Logger
  /** Public origin of this Worker (`public_base_url`, else the request origin), for callback URLs. */
  origin: string | undefined
}

/** The webhooks providers call us on; each is one inbound source of the same flow. */
export type InboundSource = 'scg' | 'twilio-status' | 'twilio-inbound'

/** A CI360 identity attribute set: `{datahub_id, externalCode}` or `{<identity_field>: <address>}`. */
export type Identity = Record<string, string>

interface InboundBase {
  /** Unique per delivery within its provider (`event-id`, `MessageSid:status`): the dedupe key. */
  key: string
  /** Ids worth a log line (never a phone number or a message body). */
  logFields: Record<string, string | number | undefined>
  /** The provider's name for the delivery's type (SCG `evt-tp`, Twilio `status` or `inbound`), stored for operators. */
  eventType: string
  /** The provider's id of the message the delivery is about, stored for the operator's search. */
  messageId: string | undefined
}

/** A provider's report about a message we sent. */
export interface StatusEvent extends InboundBase {
  type: 'status'
  /** The provider's id of the message (SCG message request id, Twilio MessageSid). */
  providerMessageId: string | undefined
  /** The provider's status word, as the tenant's `<provider>_response_event_<status>` keys spell it. */
  status: string
  /**
   * What the provider echoes back from our send (SCG's `external_id`, whose 4th part is our guid);
   * undefined if it echoes nothing.
   */
  echo:
    | { tenantId: string | undefined; identity: Identity | undefined; guid?: string | undefined }
    | undefined
  /** Added to the CI360 event with `ci360_include_status_details`. */
  details: Record<string, string>
  /** Noted in the delivery history next to the status. */
  historyDetail: string | undefined
  /**
   * The provider says the recipient opted out (`opt-out.ts`: Twilio `ErrorCode` 21610, SCG reason 1005):
   * the code, and the recipient and sender as the webhook names them (either may be absent).
   */
  optOut?: { code: string; to: string | undefined; sender: string | undefined }
}

/** A message a phone sent to one of our numbers. */
export interface MoEvent extends InboundBase {
  type: 'mo'
  /** The sender as the provider wrote it (`+1415…`, `whatsapp:+1415…`). */
  from: string
  /** Our number it was sent to, when given (replies to a Genesys number go to Genesys). */
  to: string | undefined
  /** The sender as sent in `identity_field`. */
  address: string
  body: string
  /** An RCS suggested-reply postback, sent as is instead of the body. */
  postback: string | undefined
  /** Looked up in `scg_channel_senders` for the `channel` attribute. */
  senderId: string | undefined
  /** Extra CI360 attributes (e.g. `media_urls`). */
  attributes: Record<string, string>
  /**
   * The provider's own verdict on an opt-out or opt-in word (Twilio's `OptOutType` with Advanced Opt-Out;
   * `HELP` and anything else is absent). When present it decides over the body (docs/compliance.md).
   */
  optOutType?: 'STOP' | 'START'
}

/** A delivery type we do not act on. */
export interface OtherEvent extends InboundBase {
  type: 'other'
  reason: string
}

export type InboundEvent = StatusEvent | MoEvent | OtherEvent

export type InboundStatus = 'OK' | 'QUEUED' | 'DUPLICATE' | 'IGNORED'

/** What the inbound flow did with one delivery; each webhook format renders it its own way. */
export interface InboundOutcome {
  status: InboundStatus
  reason?: string
  retryAt?: number
  /** Our delivery the event is about, when there is one. */
  guid?: string
  eventName?: string
  attempts: UpstreamAttempt[]
}

/**
 * How a provider's statuses follow each other: `rank` orders them (a later stage ranks higher) and a
 * status ranked `finalFrom` or above is final. Providers do not promise to report in order, so a status
 * ranked below a final one already recorded is late (docs/guarantees.md). Unknown statuses have no rank
 * and are never late.
 */
export interface StatusOrder {
  rank: Readonly<Record<string, number>>
  finalFrom: number
}

/**
 * One provider webhook's wire format: parse a verified body into our event, read the tenant's mapping
 * of the provider's vocabulary, and render the reply. Verification happens before (route middleware or
 * the provider's `verify`), so a stored body can be run through again.
 */
export interface WebhookFormat {
  readonly source: InboundSource
  /** Provider of the messages (delivery lookups) and the dedupe namespace. */
  readonly provider: ProviderId
  parse(rawBody: string, headers: Headers): InboundEvent
  /** The CI360 event for a status, or why there is none. */
  statusEventName(settings: TenantSettings, status: string): { name: string } | { reason: string }
  /** The order of the provider's statuses; without it every status is applied as it arrives. */
  readonly statusOrder?: StatusOrder
  /** Why a status is ignored when neither the provider's echo nor our delivery gives its identity. */
  readonly noIdentityReason: string
  mo(settings: TenantSettings): { eventName: string | undefined; missingReason: string; uppercase: boolean }
  /** The JSON reply for an outcome (routes may render it differently, e.g. TwiML). */
  reply(event: InboundEvent, outcome: InboundOutcome): WebhookReplyBody
}
