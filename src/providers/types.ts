import type { TenantConfig } from '../config/tenant'
import type { FetchFn } from '../lib/http'
import type { Logger } from '../lib/log'
import type { Result } from '../lib/result'
import type { Creative, CreativeProblem } from '../outbound/creative'
import type { OutboundEvent } from '../outbound/event'
import type { UpstreamError } from '../upstream/error'

export type ProviderId = 'scg' | 'twilio'

/** What the pipeline hands a provider: the validated CI360 event and its parsed creative. */
export interface OutboundInput {
  event: OutboundEvent
  creative: Creative
}

/** A provider-specific request, ready to send (kept opaque to the pipeline). */
export interface OutboundMessage {
  /** The recipient as sent to the provider (after channel prefixes). */
  to: string
  /** The phone number behind `to`, used as the identity-cache key; undefined for non-phone addresses. */
  phone: string | undefined
  payload: unknown
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
}

export interface ProviderContext {
  tenant: TenantConfig
  fetch: FetchFn
  now: () => number
  log: Logger
  /** Public origin of this Worker (`public_base_url`, else the request origin), for callback URLs. */
  origin: string | undefined
}
