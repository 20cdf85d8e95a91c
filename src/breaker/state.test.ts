import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allow,
  type BreakerState,
  breakerName,
  force,
  initial,
  MAX_TRANSITIONS,
  type Outcome,
  record,
  trip,
} from './state'

const T0 = 1_800_000_000_000
const cfg = { openAfter: 5, probeSeconds: 60 }
const PROBE_MS = cfg.probeSeconds * 1000

const faults = (s: BreakerState, n: number, now = T0) => {
  let state = s
  for (let i = 0; i < n; i++) state = record(state, cfg, 'fault', now).state
  return state
}
const openAt = (now: number) => faults(initial(now).state, cfg.openAfter, now)

describe('the provider breaker', () => {
  it('starts closed and allows', () => {
    const s = initial(T0).state
    expect(allow(s, cfg, T0).view).toMatchObject({
      state: 'closed',
      allowed: true,
      probe: false,
      changed: false,
    })
  })

  it('opens after exactly openAfter faults in a row, and says why', () => {
    const four = faults(initial(T0).state, 4)
    expect(four.mode).toBe('closed')
    expect(four.faults).toBe(4)
    const fifth = record(four, cfg, 'fault', T0 + 1)
    expect(fifth.view).toMatchObject({
      state: 'open',
      faults: 5,
      openedAt: T0 + 1,
      reason: '5 faults in a row',
      changed: true,
      transitions: 1,
    })
  })

  it('a success in between resets the count', () => {
    const s = record(faults(initial(T0).state, 4), cfg, 'success', T0).state
    expect(s.faults).toBe(0)
    expect(faults(s, 4).mode).toBe('closed')
    expect(faults(s, 5).mode).toBe('open')
  })

  it('an open breaker denies until probeSeconds have passed', () => {
    const s = openAt(T0)
    expect(allow(s, cfg, T0).view).toMatchObject({ allowed: false, probe: false, state: 'open' })
    expect(allow(s, cfg, T0 + PROBE_MS - 1).view.allowed).toBe(false)
  })

  it('then grants exactly one probe (half_open) and denies everyone else', () => {
    const first = allow(openAt(T0), cfg, T0 + PROBE_MS)
    expect(first.view).toMatchObject({ state: 'half_open', allowed: true, probe: true, changed: true })
    const second = allow(first.state, cfg, T0 + PROBE_MS + 1)
    expect(second.view).toMatchObject({ state: 'half_open', allowed: false, probe: false, changed: false })
    expect(allow(second.state, cfg, T0 + 2 * PROBE_MS - 1).view.allowed).toBe(false)
  })

  it('a probe that succeeds closes the breaker with no faults', () => {
    const probe = allow(openAt(T0), cfg, T0 + PROBE_MS)
    const r = record(probe.state, cfg, 'success', T0 + PROBE_MS + 5)
    expect(r.view).toMatchObject({ state: 'closed', faults: 0, openedAt: null, changed: true })
    expect(allow(r.state, cfg, T0 + PROBE_MS + 6).view).toMatchObject({ allowed: true, probe: false })
  })

  it('a probe that fails opens it again with a new openedAt', () => {
    const probe = allow(openAt(T0), cfg, T0 + PROBE_MS)
    const r = record(probe.state, cfg, 'fault', T0 + PROBE_MS + 5)
    expect(r.view).toMatchObject({ state: 'open', openedAt: T0 + PROBE_MS + 5, changed: true })
    expect(allow(r.state, cfg, T0 + 2 * PROBE_MS).view.allowed).toBe(false)
    expect(allow(r.state, cfg, T0 + 2 * PROBE_MS + 5).view).toMatchObject({ allowed: true, probe: true })
  })

  it('a probe that never reports is replaced after probeSeconds, once', () => {
    const probe = allow(openAt(T0), cfg, T0 + PROBE_MS)
    const replaced = allow(probe.state, cfg, T0 + 2 * PROBE_MS)
    expect(replaced.view).toMatchObject({ state: 'half_open', allowed: true, probe: true, changed: false })
    expect(allow(replaced.state, cfg, T0 + 2 * PROBE_MS + 1).view.allowed).toBe(false)
  })

  it('late reports while open change nothing', () => {
    const s = openAt(T0)
    const r = record(s, cfg, 'success', T0 + 1)
    expect(r.state).toBe(s)
    expect(r.view.changed).toBe(false)
  })

  it('trip opens a closed breaker; it is a no-op when already open or forced', () => {
    const t = trip(initial(T0).state, T0 + 7, 'slow delivery')
    expect(t.view).toMatchObject({ state: 'open', openedAt: T0 + 7, reason: 'slow delivery', changed: true })
    expect(trip(t.state, T0 + 8, 'again').view).toMatchObject({ changed: false, openedAt: T0 + 7 })
    const forced = force(initial(T0).state, 'closed', T0, 'ops').state
    expect(trip(forced, T0 + 9, 'slow').view).toMatchObject({ state: 'closed', changed: false })
  })

  it('forced open holds against successes and denies every call, probe time or not', () => {
    let s = force(initial(T0).state, 'open', T0, 'alice').state
    expect(s).toMatchObject({ mode: 'open', forced: 'open', reason: 'forced open by alice' })
    s = record(s, cfg, 'success', T0 + 1).state
    expect(s.mode).toBe('open')
    expect(allow(s, cfg, T0 + 10 * PROBE_MS).view).toMatchObject({
      allowed: false,
      probe: false,
      state: 'open',
    })
  })

  it('forced closed holds against faults and allows every call', () => {
    let s = force(openAt(T0), 'closed', T0 + 1, 'bob').state
    s = faults(s, 20, T0 + 2)
    expect(s).toMatchObject({ mode: 'closed', forced: 'closed' })
    expect(allow(s, cfg, T0 + 3).view).toMatchObject({ allowed: true, probe: false, forced: 'closed' })
  })

  it('force(null) returns to automatic: closed, no faults', () => {
    const held = force(initial(T0).state, 'open', T0, 'alice').state
    const back = force(held, null, T0 + 1, 'alice')
    expect(back.view).toMatchObject({
      state: 'closed',
      forced: null,
      faults: 0,
      openedAt: null,
      changed: true,
    })
    expect(faults(back.state, 5).mode).toBe('open')
    // Also resets a breaker that opened by itself.
    expect(force(openAt(T0), null, T0 + 2, 'carol').view).toMatchObject({ state: 'closed', changed: true })
  })

  it('changed is true only on the call that changed the state', () => {
    let s = initial(T0).state
    const changes: boolean[] = []
    const note = (r: { state: BreakerState; view: { changed: boolean } }) => {
      changes.push(r.view.changed)
      s = r.state
    }
    for (let i = 0; i < 7; i++) note(record(s, cfg, 'fault', T0))
    for (let i = 0; i < 3; i++) note(allow(s, cfg, T0 + 1))
    note(force(s, 'open', T0 + 2, 'x'))
    note(force(s, 'open', T0 + 3, 'x'))
    expect(changes).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ])
  })

  it('keeps the last transitions, capped, with their count', () => {
    let s = initial(T0).state
    for (let i = 0; i < 30; i++) s = force(s, i % 2 === 0 ? 'open' : null, T0 + i, 'ops').state
    expect(s.transitionCount).toBe(30)
    expect(s.history).toHaveLength(MAX_TRANSITIONS)
    expect(s.history.at(-1)).toEqual({
      at: T0 + 29,
      from: 'open',
      to: 'closed',
      reason: 'automatic again (ops)',
    })
    expect(s.history[0]?.at).toBe(T0 + 30 - MAX_TRANSITIONS)
  })

  it('does not mutate its input', () => {
    const s = openAt(T0)
    const copy = structuredClone(s)
    allow(s, cfg, T0 + PROBE_MS)
    record(s, cfg, 'fault', T0)
    trip(s, T0, 'x')
    force(s, 'closed', T0, 'x')
    expect(s).toEqual(copy)
  })

  it('names one breaker per tenant and provider', () => {
    expect(breakerName('t1', 'scg')).not.toBe(breakerName('t1', 'twilio'))
    expect(breakerName('t1', 'scg')).not.toBe(breakerName('t2', 'scg'))
    expect(breakerName('t1', 'scg')).toBe(breakerName('t1', 'scg'))
  })

  it('grants at most one probe per half-open period, whatever the calls', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('allow' as const), dt: fc.integer({ min: 0, max: 90_000 }) }),
      fc.record({
        kind: fc.constant('record' as const),
        dt: fc.integer({ min: 0, max: 90_000 }),
        outcome: fc.constantFrom<Outcome>('success', 'fault'),
      }),
    )
    const small = fc.record({
      openAfter: fc.integer({ min: 1, max: 4 }),
      probeSeconds: fc.integer({ min: 1, max: 60 }),
    })
    fc.assert(
      fc.property(small, fc.array(op, { maxLength: 200 }), (c, ops) => {
        let s = initial(T0).state
        let now = T0
        // Probes granted in the current half-open period, and when the last one was granted.
        let probes = 0
        let lastProbe = 0
        for (const o of ops) {
          now += o.dt
          if (o.kind === 'allow') {
            const r = allow(s, c, now)
            if (r.view.probe) {
              expect(r.view.allowed).toBe(true)
              expect(r.view.state).toBe('half_open')
              // A second probe in one period only replaces one that has had probeSeconds to report.
              if (probes > 0) expect(now - lastProbe).toBeGreaterThanOrEqual(c.probeSeconds * 1000)
              probes++
              lastProbe = now
            }
            if (r.view.state === 'open') expect(r.view.allowed).toBe(false)
            s = r.state
          } else {
            s = record(s, c, o.outcome, now).state
          }
          if (s.mode !== 'half_open') probes = 0
        }
      }),
    )
  })

  it('at most one probe per half-open period when the clock stands still', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('allow', 'success', 'fault'), { maxLength: 100 }), (ops) => {
        let s = allow(openAt(T0), cfg, T0 + PROBE_MS).state
        let probes = 1
        for (const o of ops) {
          if (o === 'allow') {
            const r = allow(s, cfg, T0 + PROBE_MS)
            if (r.view.probe) probes++
            s = r.state
          } else {
            s = record(s, cfg, o as Outcome, T0 + PROBE_MS).state
            if (s.mode !== 'half_open') break
          }
        }
        expect(probes).toBe(1)
      }),
    )
  })
})
