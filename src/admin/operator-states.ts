/** The closed sets of states the operator API filters on (pure data: the OpenAPI build reads it too). */

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

export const DELIVERY_STATES = [
  'sending',
  'sent',
  'queued',
  'rejected',
  'stale',
  'expired',
  'dead',
  'uncertain',
] as const
