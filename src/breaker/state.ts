/**
 * A provider's circuit breaker for one tenant, as pure functions over a small state: kept by one Durable
 * Object per (tenant, provider) so every isolate sees the same breaker. The clock is passed in; nothing
 * here reads the time or mutates its input.
 *
 * closed: every call is allowed; `openAfter` faults in a row open it (a success resets the count).
 * open: every call is denied until `probeSeconds` after it opened; the first call then is the probe
 * (half_open). half_open: one probe at a time; its success closes the breaker, its fault opens it again.
 * A probe that does not report within `probeSeconds` may be replaced, so a lost caller cannot wedge it.
 * An operator may force it open or closed; a forced state holds until it is released.
 */

export type BreakerMode = 'closed' | 'open' | 'half_open'
export type Forced = 'open' | 'closed' | null
export type Outcome = 'success' | 'fault'
export type BreakerProvider = 'scg' | 'twilio'

export interface BreakerConfig {
  /** Faults in a row that open a closed breaker (failover_open_after). */
  openAfter: number
  /** How long an open breaker denies before it lets one probe through (failover_probe_seconds). */
  probeSeconds: number
}

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = { openAfter: 5, probeSeconds: 60 }

export interface Transition {
  at: number
  from: BreakerMode
  to: BreakerMode
  reason: string
}

/** How many transitions the state keeps, newest last. */
export const MAX_TRANSITIONS = 20

export interface BreakerState {
  mode: BreakerMode
  forced: Forced
  /** Faults in a row while closed. */
  faults: number
  /** When the breaker last opened (ms); null while closed. */
  openedAt: number | null
  /** When the probe now out was granted (ms); null when none is out. */
  probeAt: number | null
  /** Why the breaker is in its current state. */
  reason: string | null
  /** When the state (or the operator's hold) last changed. */
  changedAt: number
  /** Every change since the breaker was made. */
  transitionCount: number
  /** The last `MAX_TRANSITIONS` changes, oldest first. */
  history: Transition[]
}

/** What every call returns. `changed` is true for the one call that changed the state, so it alone logs it. */
export interface BreakerView {
  state: BreakerMode
  forced: Forced
  faults: number
  openedAt: number | null
  reason: string | null
  changedAt: number
  changed: boolean
  transitions: number
}

export interface AllowView extends BreakerView {
  allowed: boolean
  /** This call is the half-open breaker's single probe: its outcome decides. */
  probe: boolean
}

/** The view plus the recent transitions, for operators. */
export interface BreakerStatus extends BreakerView {
  history: Transition[]
}

export interface Step<V extends BreakerView = BreakerView> {
  state: BreakerState
  view: V
}

/** The Durable Object name of a tenant's breaker for a provider. */
export const breakerName = (tenantId: string, provider: BreakerProvider): string =>
  `${tenantId}\u0000${provider}`

export const viewOf = (s: BreakerState, changed: boolean): BreakerView => ({
  state: s.mode,
  forced: s.forced,
  faults: s.faults,
  openedAt: s.openedAt,
  reason: s.reason,
  changedAt: s.changedAt,
  changed,
  transitions: s.transitionCount,
})

export const statusOf = (s: BreakerState): BreakerStatus => ({ ...viewOf(s, false), history: s.history })

export function initial(now: number): Step {
  const state: BreakerState = {
    mode: 'closed',
    forced: null,
    faults: 0,
    openedAt: null,
    probeAt: null,
    reason: null,
    changedAt: now,
    transitionCount: 0,
    history: [],
  }
  return { state, view: viewOf(state, false) }
}

const probeMs = (cfg: BreakerConfig) => Math.max(0, cfg.probeSeconds) * 1000
const threshold = (cfg: BreakerConfig) => Math.max(1, Math.floor(cfg.openAfter))

/** The state moved to `next`, with the change logged (the caller has checked it is one). */
function moved(s: BreakerState, next: Partial<BreakerState>, now: number, reason: string): BreakerState {
  const to = next.mode ?? s.mode
  const history = [...s.history, { at: now, from: s.mode, to, reason }].slice(-MAX_TRANSITIONS)
  return {
    ...s,
    ...next,
    reason,
    changedAt: now,
    transitionCount: s.transitionCount + 1,
    history,
  }
}

const opened = (s: BreakerState, now: number, reason: string): BreakerState =>
  moved(s, { mode: 'open', openedAt: now, probeAt: null }, now, reason)

/** May a call go now? In half_open, at most one call (the probe) is allowed per `probeSeconds`. */
export function allow(s: BreakerState, cfg: BreakerConfig, now: number): Step<AllowView> {
  const answer = (
    state: BreakerState,
    changed: boolean,
    allowed: boolean,
    probe: boolean,
  ): Step<AllowView> => ({
    state,
    view: { ...viewOf(state, changed), allowed, probe },
  })
  if (s.forced === 'open') return answer(s, false, false, false)
  if (s.forced === 'closed' || s.mode === 'closed') return answer(s, false, true, false)
  if (s.mode === 'open') {
    if (s.openedAt !== null && now < s.openedAt + probeMs(cfg)) return answer(s, false, false, false)
    const next = moved(s, { mode: 'half_open', probeAt: now }, now, 'probe')
    return answer(next, true, true, true)
  }
  // half_open: a probe is out; replace it only once it has had `probeSeconds` to report.
  if (s.probeAt !== null && now < s.probeAt + probeMs(cfg)) return answer(s, false, false, false)
  return answer({ ...s, probeAt: now }, false, true, true)
}

/** A call's outcome. Ignored while forced, and while open (a late report of a call let through before). */
export function record(s: BreakerState, cfg: BreakerConfig, outcome: Outcome, now: number): Step {
  if (s.forced !== null || s.mode === 'open') return { state: s, view: viewOf(s, false) }
  if (s.mode === 'half_open') {
    const next =
      outcome === 'success'
        ? moved(s, { mode: 'closed', faults: 0, openedAt: null, probeAt: null }, now, 'probe succeeded')
        : opened(s, now, 'probe failed')
    return { state: next, view: viewOf(next, true) }
  }
  if (outcome === 'success') {
    const next = s.faults === 0 ? s : { ...s, faults: 0 }
    return { state: next, view: viewOf(next, false) }
  }
  const faults = s.faults + 1
  if (faults < threshold(cfg)) {
    const next = { ...s, faults }
    return { state: next, view: viewOf(next, false) }
  }
  const next = opened({ ...s, faults }, now, `${faults} faults in a row`)
  return { state: next, view: viewOf(next, true) }
}

/** Open a closed breaker for a reason seen elsewhere (slow delivery). No-op if forced or not closed. */
export function trip(s: BreakerState, now: number, reason: string): Step {
  if (s.forced !== null || s.mode !== 'closed') return { state: s, view: viewOf(s, false) }
  const next = opened(s, now, reason)
  return { state: next, view: viewOf(next, true) }
}

/**
 * An operator holds the breaker open or closed; null returns it to automatic: closed with no faults
 * (also a reset of a breaker that opened by itself).
 */
export function force(s: BreakerState, forced: Forced, now: number, actor: string): Step {
  const same = { state: s, view: viewOf(s, false) }
  if (forced !== null) {
    if (s.forced === forced) return same
    const openedAt = forced === 'open' ? (s.mode === 'open' ? s.openedAt : now) : null
    const next = moved(
      s,
      { mode: forced, forced, openedAt, probeAt: null },
      now,
      `forced ${forced} by ${actor}`,
    )
    return { state: next, view: viewOf(next, true) }
  }
  if (s.forced === null && s.mode === 'closed') {
    if (s.faults === 0) return same
    const next = { ...s, faults: 0 }
    return { state: next, view: viewOf(next, false) }
  }
  const reset = { mode: 'closed' as const, forced: null, faults: 0, openedAt: null, probeAt: null }
  const next = moved(s, reset, now, `automatic again (${actor})`)
  return { state: next, view: viewOf(next, true) }
}
