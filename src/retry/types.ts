import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { Logger } from '../lib/log'
import type { FailedRequestRow } from '../storage/failed-requests'

export interface RetryContext {
  deps: Deps
  tenant: TenantConfig
  row: FailedRequestRow
  log: Logger
}

/** What one more attempt at a failed request came to; the engine turns it into the row's next state. */
export type RetryOutcome =
  | { result: 'done'; detail?: string }
  | { result: 'retry'; error: string; httpStatus: number | null; retryAfterMs?: number }
  | { result: 'dead'; error: string; httpStatus: number | null; providerCode?: string }
  | { result: 'expired'; error: string }

/**
 * Re-runs one kind of failed request (`scg`, `twilio`, `ci360_event`) through the same code path as the
 * original request. Expected failures are returned, not thrown.
 */
export type RetryHandler = (ctx: RetryContext) => Promise<RetryOutcome>
