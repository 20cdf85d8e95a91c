/**
 * The closed lists of the connector's vocabulary, each written once: types, validation, the admin API
 * and the OpenAPI document read them from here (docs/storage.md names where each is stored).
 */

/** Messaging providers we send through. */
export const PROVIDER_IDS = ['scg', 'twilio'] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

/** What a failed request re-sends: an outbound message, or a CI360 event. */
export const FAILED_REQUEST_KINDS = [...PROVIDER_IDS, 'ci360_event', 'genesys_event'] as const
export type FailedRequestKind = (typeof FAILED_REQUEST_KINDS)[number]

export const FAILED_REQUEST_STATES = ['pending', 'done', 'dead', 'expired'] as const
export type FailedRequestState = (typeof FAILED_REQUEST_STATES)[number]

/** Our state of one CI360 outbound event (the provider's own status is kept beside it). */
export const DELIVERY_STATES = ['sending', 'sent', 'queued', 'rejected', 'stale', 'expired', 'dead'] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

/** Who asked for a delivery: a CI360 task or a Genesys conversation. */
export const DELIVERY_SOURCES = ['ci360', 'genesys'] as const
export type DeliverySource = (typeof DELIVERY_SOURCES)[number]
