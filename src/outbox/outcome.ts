import type { AppError } from '../lib/app-error'
import type { ProviderId } from '../lib/vocabulary'
import type { RouteAttempt } from '../storage/deliveries'
import type { UpstreamAttempt } from '../upstream/attempt'
import type { UpstreamError } from '../upstream/error'

/**
 * What a call made now came to (`sendOrStore`), a value the caller switches on: `SENT` — the upstream
 * accepted it; `QUEUED` — it failed and is stored `pending` for the cron, due at `retryAt`; `REJECTED` —
 * it was refused for good and is stored `dead` (kept for operators, never re-sent by the cron).
 */
export type SendOutcome<T> =
  | { status: 'SENT'; value: T; attempt: UpstreamAttempt }
  | { status: 'QUEUED'; retryAt: number; error: UpstreamError; attempt: UpstreamAttempt }
  | { status: 'REJECTED'; error: UpstreamError; attempt: UpstreamAttempt }

/**
 * What an outbound attempt tells the delivery record beyond its state (docs/guarantees.md):
 * `outcomeUnknown` — a call's outcome could not be seen (true) or a look-up settled it (false);
 * `uncertain` — nothing was sent because the earlier outcome is still unknown; `suppressed` — nothing
 * was sent because the number opted out.
 */
export interface DeliveryEffect {
  outcomeUnknown?: boolean
  uncertain?: boolean
  /** Nothing was sent because the number is on the opt-out list (docs/compliance.md). */
  suppressed?: boolean
  /** A routed send (docs/guarantees.md, "Failover"): the route that sent it and the calls made. */
  route?: { provider: ProviderId; sender: string }
  routeAttempts?: RouteAttempt[]
  /**
   * Not sent by the cron: handed back to the send queue (`send_mode: queued`, docs/pacing.md), so it
   * leaves at its sender's pace. The delivery is `accepted` again until `queuedUntil`.
   */
  handedOff?: { queuedUntil: number }
}

/**
 * What one more attempt at a failed request came to; the engine turns it into the row's next state.
 * `attempted` (default true) says whether the upstream service was called: only calls count as
 * provider attempts in the delivery record.
 */
export type RetryOutcome =
  | {
      result: 'done'
      detail?: string
      messageId?: string | null
      httpStatus?: number
      delivery?: DeliveryEffect
    }
  | {
      result: 'retry'
      delivery?: DeliveryEffect
      error: string
      httpStatus: number | null
      retryAfterMs?: number
      attempted?: boolean
      /** Set when the attempt stopped on a request-level problem (e.g. `CONFIG_INVALID`). */
      appError?: AppError
    }
  | {
      result: 'dead'
      delivery?: DeliveryEffect
      error: string
      httpStatus: number | null
      providerCode?: string
      attempted?: boolean
      /** Set when the stored request itself can no longer be sent (`INVALID_CREATIVE`, …). */
      appError?: AppError
    }
  | { result: 'expired'; error: string }
  | {
      /**
       * Held by quiet hours (docs/compliance.md): nothing was sent and no attempt is counted; the row
       * waits until `until`, and its deadline counts from `windowEnd` (`event_ttl` after it).
       */
      result: 'deferred'
      until: number
      windowEnd: number
      error: string
      httpStatus: null
      attempted: false
      delivery?: DeliveryEffect
    }

/**
 * A failed upstream call as a retry outcome, the same for every kind: retryable → retry (no earlier
 * than `Retry-After`), else dead.
 */
export function retryOutcomeOf(e: UpstreamError): Extract<RetryOutcome, { result: 'retry' | 'dead' }> {
  if (e.retryable) {
    return {
      result: 'retry',
      error: e.summary(),
      httpStatus: e.status ?? null,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    }
  }
  return {
    result: 'dead',
    error: e.summary(),
    httpStatus: e.status ?? null,
    ...(e.providerCode ? { providerCode: e.providerCode } : {}),
  }
}
