import type { FailedRequestKind, FailedRequestRow } from '../storage/failed-requests'
import type { RetryOutcome } from './outcome'

/**
 * What one kind of failed request brings to the retry engine. `C` is the engine's context for one
 * attempt (deps, tenant, row, log, clock). Each capability defines the hooks of its kinds; the registry
 * is assembled above the capabilities (`src/failed-request-kinds.ts`) and handed to the engine, so
 * neither this module nor the engine imports a kind (docs/architecture.md, "Where new code goes").
 */
export interface FailedRequestKindHooks<C> {
  /** One more attempt at the stored request, through the same code path as the first one. */
  retry(ctx: C): Promise<RetryOutcome>
  /** An outbound send: its `deliveries` row (same tenant and guid) moves with every attempt. */
  readonly outbound: boolean
  /** Whether the row's attempts are tracked on the stored webhook event it came from (`inbound_events`). */
  tracked(row: FailedRequestRow): boolean
  /** The retries ended without success (`dead`, `expired`): tell whoever is waiting for the outcome. */
  onEnded?(ctx: C, error: string): Promise<void>
}

/** Every kind's hooks, one entry per `FailedRequestKind` (lib/vocabulary.ts). */
export type FailedRequestKinds<C> = Readonly<Record<FailedRequestKind, FailedRequestKindHooks<C>>>
