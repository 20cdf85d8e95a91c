import type { OutboundEvent } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import type { MessageProvider, OutboundMessage, ProviderId } from '../providers/types'

export interface OutboundRequest {
  providerId: ProviderId
  tenant: TenantConfig
  /** The body exactly as received (kept for failed requests and retries). */
  bodyText: string
  body: unknown
  /** This Worker's public origin (for callback URLs). */
  origin: string | undefined
  /** Set for a Genesys message: the stored failed request is re-read as one by the cron. */
  source?: 'genesys'
}

/** A JSON reply for a non-error outcome (errors are thrown as `AppError`). */
export interface Reply {
  status: 200 | 202
  body: Record<string, unknown>
}

export interface PreparedOutbound {
  event: OutboundEvent
  provider: MessageProvider
  message: OutboundMessage
}
