import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import type { AppError } from '../lib/app-error'
import type { Logger } from '../lib/log'
import type { FailedRequestRow } from '../storage/failed-requests'

export interface RetryContext {
  deps: Deps
  tenant: TenantConfig
  row: FailedRequestRow
  log: Logger
  /** The engine's clock for this attempt (staleness, backoff). */
  now: number
}

/**
 * What one more attempt at a failed request came to; the engine turns it into the row's next state.
 * `attempted` (default true) says whether the upstream service was called: only calls count as
 * provider attempts in the delivery record.
 */
export type RetryOutcome =
  | { result: 'done'; detail?: string; messageId?: string | null; httpStatus?: number }
  | {
      result: 'retry'
      error: string
      httpStatus: number | null
      retryAfterMs?: number
      attempted?: boolean
      /** Set when the attempt stopped on a request-level problem (e.g. `CONFIG_INVALID`). */
      appError?: AppError
    }
  | {
      result: 'dead'
      error: string
      httpStatus: number | null
      providerCode?: string
      attempted?: boolean
      /** Set when the stored request itself can no longer be sent (`INVALID_CREATIVE`, …). */
      appError?: AppError
    }
  | { result: 'expired'; error: string }

/**
 * Re-runs one kind of failed request (`scg`, `twilio`, `ci360_event`) through the same code path as the
 * original request. Expected failures are returned; an `AppError` thrown by the shared path (bad stored
 * event, missing credentials) is mapped by the engine.
 */
export type RetryHandler = (ctx: RetryContext) => Promise<RetryOutcome>
