import type { Settings } from '../config/settings'
import type { TenantConfig } from '../config/tenant'
import { type Deps, type RequestContext, withRowShard } from '../deps'
import { isAppError } from '../lib/app-error'
import { describeError } from '../lib/log'
import { nextAttemptAt } from '../outbox/backoff'
import type { DeliveryState } from '../storage/deliveries'
import type { Finish } from '../storage/failed-request-leases'
import type { FailedRequestRow } from '../storage/failed-requests'
import { trackedOnEvent } from './track'
import type { RetryKind, RetryKinds, RetryOutcome } from './types'

/**
 * How long a claimed row is held. Far longer than one attempt can take (a provider call is capped by
 * `provider_timeout_ms` ≤ 120 s), so a lease only runs out when the run holding it died; the row is
 * then picked up again by a later run.
 */
export const LEASE_MS = 5 * 60_000

/** The result of one attempt, as stored. */
export interface AttemptResult {
  /** The row as it was claimed (before this attempt). */
  row: FailedRequestRow
  /** What the handler reported; a `retry` past `retry_max_attempts` is turned into `dead`. */
  outcome: RetryOutcome
  /** True when the row died because it ran out of attempts. */
  exhausted: boolean
  stored: Finish
  attempts: number
}

type TenantLookup = { tenant: TenantConfig } | { tenant: undefined; problem: string }

/**
 * A row whose tenant secret has gone or broke is kept (the secret may come back), not sent; it ends
 * `dead` after `retry_max_attempts` with the problem as its reason. A broken secret is logged with the
 * names of its bad keys (never their values).
 */
function lookupTenant(ctx: RequestContext, tenantId: string): TenantLookup {
  const { log } = ctx
  try {
    const tenant = ctx.config.tenant(tenantId)
    if (tenant) return { tenant }
    return { tenant: undefined, problem: `tenant not configured (no TENANT_${tenantId} secret)` }
  } catch (e) {
    const cause = isAppError(e) && e.cause instanceof Error ? e.cause : e
    const keys = cause instanceof Error ? issueKeys(cause.message) : ''
    log.error('tenant configuration invalid; row not sent', describeError(cause))
    return {
      tenant: undefined,
      problem: `tenant configuration invalid (TENANT_${tenantId})${keys ? `: ${keys}` : ''}`,
    }
  }
}

/** `"a.b: is required; c: must be …"` → `"a.b, c"`: the keys of config issues, never their values. */
const issueKeys = (issues: string) =>
  issues
    .split('; ')
    .map((i) => i.split(':')[0]?.trim())
    .filter(Boolean)
    .join(', ')
    .slice(0, 200)

/** Run the kind's retry hook; thrown errors become outcomes so one bad row never stops a run. */
async function runHandler(
  ctx: RequestContext,
  kind: RetryKind | undefined,
  tenant: TenantConfig,
  row: FailedRequestRow,
  now: number,
): Promise<RetryOutcome> {
  const { log } = ctx
  if (!kind) {
    log.error('failed request of an unknown kind', { kind: String(row.kind).slice(0, 40) })
    return {
      result: 'dead',
      error: `unknown kind ${String(row.kind).slice(0, 40)}`,
      httpStatus: null,
      attempted: false,
    }
  }
  try {
    return await kind.retry({ deps: ctx, tenant, row, now })
  } catch (e) {
    if (isAppError(e)) {
      const error = `${e.code}: ${e.message}`.slice(0, 500)
      // Configuration can be fixed, so the row waits; a stored event that no longer builds never will.
      return e.code === 'CONFIG_INVALID' || e.httpStatus >= 500
        ? { result: 'retry', error, httpStatus: null, attempted: false, appError: e }
        : { result: 'dead', error, httpStatus: null, attempted: false, appError: e }
    }
    log.error('retry handler failed', describeError(e))
    const { error_name, error_message } = describeError(e)
    return { result: 'retry', error: `${error_name}: ${error_message}`, httpStatus: null, attempted: false }
  }
}

/** Outcome → the row's next state (backoff, `retry_max_attempts` → dead). */
function decide(
  row: FailedRequestRow,
  outcome: RetryOutcome,
  settings: Settings,
  now: number,
  random: () => number,
): { outcome: RetryOutcome; exhausted: boolean; finish: Finish } {
  const attempts = row.attempts + 1
  const ends = (state: 'done' | 'dead' | 'expired', extra: Partial<Finish> = {}): Finish => ({
    state,
    addAttempts: state === 'expired' ? 0 : 1,
    nextAttemptAt: null,
    now,
    ...extra,
  })
  switch (outcome.result) {
    case 'done':
      return { outcome, exhausted: false, finish: ends('done') }
    case 'deferred':
      return {
        outcome,
        exhausted: false,
        finish: {
          state: 'pending',
          addAttempts: 0,
          nextAttemptAt: outcome.until,
          lastError: outcome.error,
          generatedTimestamp: outcome.windowEnd,
          now,
        },
      }
    case 'expired':
      return { outcome, exhausted: false, finish: ends('expired', { lastError: outcome.error }) }
    case 'dead':
      return {
        outcome,
        exhausted: false,
        finish: ends('dead', { lastError: outcome.error, httpStatus: outcome.httpStatus }),
      }
    case 'retry': {
      if (attempts >= settings.retry_max_attempts) {
        const error = `${outcome.error} (gave up after ${attempts} attempts)`.slice(0, 600)
        const { retryAfterMs: _unused, ...rest } = outcome
        return {
          outcome: { ...rest, result: 'dead', error },
          exhausted: true,
          finish: ends('dead', { lastError: error, httpStatus: outcome.httpStatus }),
        }
      }
      const finish: Finish = {
        state: 'pending',
        addAttempts: 1,
        nextAttemptAt: nextAttemptAt(now, attempts, random, outcome.retryAfterMs),
        lastError: outcome.error,
        httpStatus: outcome.httpStatus,
        now,
      }
      return { outcome, exhausted: false, finish }
    }
  }
}

/** The delivery record's state after an attempt: a provider refusal is `rejected`, as on the first try. */
function deliveryState(outcome: RetryOutcome, exhausted: boolean): DeliveryState {
  switch (outcome.result) {
    case 'done':
      return 'sent'
    case 'expired':
      return 'expired'
    case 'retry':
      return 'queued'
    case 'deferred':
      return 'deferred'
    case 'dead':
      return !exhausted && outcome.attempted !== false ? 'rejected' : 'dead'
  }
}

/**
 * Make one attempt at a row this caller has leased (with `token`) and store the result: the failed
 * request's new state and, for outbound kinds, the delivery record in the same D1 transaction. What
 * the row is (outbound, tracked on a webhook event, who hears of its end) is its kind's hooks in
 * `kinds`. Throws `StorageError` only when the result cannot be stored (the lease then runs out and a
 * later run tries again).
 */
export async function attemptRow(
  deps: Deps,
  kinds: RetryKinds,
  row: FailedRequestRow,
  token: string,
  now: number,
): Promise<AttemptResult> {
  const log = deps.log.child({
    failed_request: row.id,
    kind: row.kind,
    tenant: row.tenant_id,
    guid: row.guid,
  })
  // Rows of a kind this version does not know end dead (`runHandler`); they are not outbound sends.
  const kind = (kinds as Partial<RetryKinds>)[row.kind]
  const outbound = kind?.outbound === true
  // The row's own database (the cron's scan read it there): its delivery and lease live there too.
  const attempt: RequestContext = { ...withRowShard(deps, row, row.guid), log }
  const lookup = lookupTenant(attempt, row.tenant_id)
  const settings = lookup.tenant?.settings ?? deps.config.settings
  let outcome: RetryOutcome
  const started = deps.now()
  if (row.generated_timestamp !== null && now - row.generated_timestamp > settings.event_ttl * 1000) {
    // Checked before anything else: an expired message is never sent, whatever else is wrong.
    outcome = { result: 'expired', error: `older than event_ttl (${settings.event_ttl} s); not sent` }
  } else if (!lookup.tenant) {
    outcome = { result: 'retry', error: lookup.problem, httpStatus: null, attempted: false }
  } else {
    outcome = await runHandler(attempt, kind, lookup.tenant, row, now)
  }
  const latencyMs = deps.now() - started

  const decided = decide(row, outcome, settings, now, deps.random)
  const deliveries = attempt.stores.deliveries
  const statements = [attempt.stores.leases.finish(row.id, token, decided.finish)]
  if (outbound) {
    const final = decided.outcome
    const effect = final.result === 'expired' ? undefined : final.delivery
    const state = effect?.handedOff
      ? 'accepted'
      : effect?.uncertain
        ? 'uncertain'
        : effect?.suppressed
          ? 'suppressed'
          : deliveryState(final, decided.exhausted)
    const unknown = {
      ...(effect?.outcomeUnknown === undefined ? {} : { outcomeUnknown: effect.outcomeUnknown }),
      ...(effect?.route ? { route: effect.route } : {}),
      ...(effect?.routeAttempts ? { routeAttempts: effect.routeAttempts } : {}),
      ...(effect?.handedOff ? { queuedUntil: effect.handedOff.queuedUntil } : {}),
    }
    statements.push(
      deliveries.transition(
        row.tenant_id,
        row.guid,
        final.result === 'done'
          ? {
              state,
              now,
              // Handed back to the send queue: no provider was called.
              attempted: !effect?.handedOff,
              messageId: final.messageId ?? null,
              detail: final.detail ?? 'sent',
              ...unknown,
            }
          : {
              state,
              now,
              attempted: final.result !== 'expired' && final.attempted !== false,
              lastError: final.error,
              detail: final.error.slice(0, 300),
              ...unknown,
            },
      ),
    )
  }
  if (!kind || kind.tracked(row))
    statements.push(trackedOnEvent(attempt, row, decided.outcome, now, latencyMs))
  await deliveries.exec('retry.finish', statements)
  const ended = decided.outcome
  if (lookup.tenant && kind?.onEnded && (ended.result === 'dead' || ended.result === 'expired'))
    await kind.onEnded({ deps: attempt, tenant: lookup.tenant, row, now }, ended.error)
  log.info('retry attempt', {
    result: decided.outcome.result,
    state: decided.finish.state,
    attempts: row.attempts + decided.finish.addAttempts,
    next_attempt_at: decided.finish.nextAttemptAt,
  })
  return {
    row,
    outcome: decided.outcome,
    exhausted: decided.exhausted,
    stored: decided.finish,
    attempts: row.attempts + decided.finish.addAttempts,
  }
}
