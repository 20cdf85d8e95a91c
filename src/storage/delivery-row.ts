import type { DeliverySource, DeliveryState, ProviderId } from '../lib/vocabulary'

/** One provider call (or skip) of a routed send (docs/guarantees.md, "Failover"). */
export interface RouteAttempt {
  provider: ProviderId
  sender: string
  /** `sent`, `found`, `not found`, `skipped: breaker open`, or the outcome table's verdict and the error. */
  outcome: string
  at: string
}

export interface HistoryEntry {
  state: string
  at: string
  detail?: string
}

export interface DeliveryRow {
  tenant_id: string
  guid: string
  provider: ProviderId
  identity_id: string
  external_code: string | null
  recipient_masked: string | null
  /** The recipient's keyed hash (`recipient-key.ts`, migration 0011); null when unknown. */
  recipient_key: string | null
  state: DeliveryState
  provider_message_id: string | null
  provider_status: string | null
  attempts: number
  last_error: string | null
  generated_timestamp: number | null
  history: string
  created_at: number
  updated_at: number
  /** CI360's responseTrackingCode of the outbound event, sent back with its status events. */
  response_tracking_code: string | null
  /** The CI360 event while the send is unfinished (cleared on a final state). */
  event_body: string | null
  /** 1 after a provider call whose outcome is unknown: look before sending again. */
  outcome_unknown: number
  source: DeliverySource
  /** Genesys sends: the message id and customer its receipts name, and its Multicloud channel (else null). */
  genesys_message_id: string | null
  genesys_recipient: string | null
  genesys_channel: string | null
  /** Paced sends (docs/pacing.md): the sender the pacer counted, the message's segments, and when an `accepted` row counts as lost. */
  sender: string | null
  segments: number | null
  queued_until: number | null
  /** A routed send's provider calls, JSON (`RouteAttempt[]`); null without `routes`. */
  route_attempts: string | null
}

export interface NewDelivery {
  tenantId: string
  guid: string
  provider: ProviderId
  identityId: string
  externalCode: string | null
  recipientMasked: string | null
  generatedTimestamp: number
  state: 'sending' | 'stale' | 'accepted'
  now: number
  detail?: string
  responseTrackingCode?: string | null
  /** Kept only for `sending` claims, so the cron can settle one the Worker never finished. */
  eventBody?: string | null
  /** A Genesys send (source `genesys`): its message id, customer and Multicloud channel. */
  genesys?: { id: string; to: string; channel?: string }
  /** The recipient's keyed hash (`recipient-key.ts`); absent for stale events and non-phone addresses. */
  recipientKey?: string | null
  /** `accepted` claims (docs/pacing.md): the pacer's sender and segments, and when the cron re-queues it. */
  paced?: { sender: string | null; segments: number; queuedUntil: number }
}

/**
 * `takeover`: the row was a `sending` claim past its lease, so an earlier send may have gone out.
 * `read`: the first row of the statement that rode in the claim's batch (`claim`'s `readWith`), if any.
 */
export type ClaimResult<R = never> = (
  | { claimed: true; takeover?: boolean }
  | { claimed: false; existing: DeliveryRow }
) & { read?: R | null }
