import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import type { FailedRequestKindHooks, FailedRequestKinds } from '../outbox/kinds'
import type { DeliveryEffect, RetryOutcome } from '../outbox/outcome'
import type { FailedRequestRow } from '../storage/failed-requests'

export type { DeliveryEffect, RetryOutcome }

export interface RetryContext {
  /** The deps with the attempt's log (its fields name the row). */
  deps: RequestContext
  tenant: TenantConfig
  row: FailedRequestRow
  /** The engine's clock for this attempt (staleness, backoff). */
  now: number
}

/**
 * Re-runs one kind of failed request (`scg`, `twilio`, `ci360_event`, `genesys_event`) through the same
 * code path as the original request. Expected failures are returned; an `AppError` thrown by the shared
 * path (bad stored event, missing credentials) is mapped by the engine.
 */
export type RetryHandler = (ctx: RetryContext) => Promise<RetryOutcome>

/** One kind's hooks, as the engine calls them. */
export type RetryKind = FailedRequestKindHooks<RetryContext>

/** The registry the engine is handed: every kind's hooks (assembled in `src/failed-request-kinds.ts`). */
export type RetryKinds = FailedRequestKinds<RetryContext>
