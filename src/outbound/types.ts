import type { TenantConfig } from '../config/tenant'
import type { outboundReplies, Reply as ReplyOf } from '../openapi/reply'
import type { Correlation, MessageProvider, OutboundMessage, ProviderId } from '../providers/types'

export interface OutboundRequest {
  providerId: ProviderId
  tenant: TenantConfig
  /** The body exactly as received (kept for failed requests and retries). */
  bodyText: string
  body: unknown
  /** This Worker's public origin (for callback URLs). */
  origin: string | undefined
}

/** A JSON reply for a non-error outcome, typed by its documented schema (errors are thrown as `AppError`). */
export type Reply = ReplyOf<typeof outboundReplies>

/** A message ready for its provider, from CI360 or Genesys alike. */
export interface PreparedOutbound {
  provider: MessageProvider
  message: OutboundMessage
  /** Whom it is sent for; `guid` is our delivery's. */
  correlation: Correlation
  /** When it was asked for (CI360's `generatedTimestamp`; a Genesys message's arrival): `event_ttl` counts from here. */
  generatedTimestamp: number
  /** The SMS segments the networks count for it (docs/pacing.md, "Segments"): what the pacer spends. */
  segments: number
}
