/**
 * The closed lists of the connector's vocabulary, each written once: types, validation, the admin API
 * and the OpenAPI document read them from here (docs/storage.md names where each is stored).
 */

/** Messaging providers we send through. */
export const PROVIDER_IDS = ['scg', 'twilio'] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

/** The creative's CHANNEL values (docs/outbound.md); a creative without one is `SMS`. */
export const CHANNELS = ['SMS', 'MMS', 'WHATSAPP', 'WECHAT', 'FACEBOOK', 'RCS'] as const
export type Channel = (typeof CHANNELS)[number]

/** What a failed request re-sends: an outbound message, a CI360 event, or a call to Genesys. */
export const FAILED_REQUEST_KINDS = [...PROVIDER_IDS, 'ci360_event', 'genesys_event'] as const
export type FailedRequestKind = (typeof FAILED_REQUEST_KINDS)[number]

export const FAILED_REQUEST_STATES = ['pending', 'done', 'dead', 'expired'] as const
export type FailedRequestState = (typeof FAILED_REQUEST_STATES)[number]

/** Our state of one CI360 outbound event (the provider's own status is kept beside it). */
export const DELIVERY_STATES = [
  'sending',
  'sent',
  'queued',
  'rejected',
  'stale',
  'expired',
  'dead',
  'uncertain',
  'suppressed',
  'deferred',
  'accepted',
] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

/** Who asked for a delivery (`deliveries.source`): a CI360 task or a Genesys conversation. */
export const DELIVERY_SOURCES = ['ci360', 'genesys'] as const
export type DeliverySource = (typeof DELIVERY_SOURCES)[number]

/** The message search's `state` filter: every delivery state (`uncertain` included). */
export const MESSAGE_SEARCH_STATES = DELIVERY_STATES

/** Sources of stored webhook events (`inbound_events.source`): the provider that called us. */
export const INBOUND_EVENT_SOURCES = ['scg', 'twilio', 'genesys'] as const

/** The state of one stored webhook event (docs/console.md). */
export const INBOUND_STATES = [
  'injected',
  'queued',
  'ignored',
  'duplicate',
  'failed',
  'dead',
  'handled',
] as const
export type InboundState = (typeof INBOUND_STATES)[number]

/** `bulk_jobs.state` (docs/storage.md): queued → running → done | failed. */
export const BULK_JOB_STATES = ['queued', 'running', 'done', 'failed'] as const
export type BulkJobState = (typeof BULK_JOB_STATES)[number]

/** Twilio's `MessageStatus` values (docs/protocols.md, "Twilio"); only these are logged as sent. */
export const TWILIO_MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'canceled',
  'queued',
  'sending',
  'sent',
  'failed',
  'delivered',
  'undelivered',
  'receiving',
  'received',
  'read',
  'partially_delivered',
] as const

/** Where an opt-out entry came from (`suppressions.source`, docs/compliance.md). */
export const SUPPRESSION_SOURCES = ['keyword', 'provider', 'operator', 'import'] as const
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number]

/** The channel scope of an opt-out: SMS, MMS and RCS share one; WhatsApp has its own. */
export const SUPPRESSION_CHANNELS = ['sms', 'whatsapp'] as const
export type SuppressionChannel = (typeof SUPPRESSION_CHANNELS)[number]

/** Entries that an opt-in keyword may lift: never an operator's block or an imported one. */
export const LIFTABLE_SUPPRESSION_SOURCES: readonly SuppressionSource[] = ['keyword', 'provider']
