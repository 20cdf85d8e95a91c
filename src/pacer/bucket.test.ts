import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { newBucket, PAUSE_MS, RATE_MARGIN, recovered, reserve, STEP_MS, slowDown } from './bucket'

const T0 = 1_800_000_000_000
const pace = { mps: 10, burst: 10 }
const ones = (n: number) => Array.from({ length: n }, () => ({ segments: 1 }))

describe('the pacer bucket', () => {
  it('starts full: burst − 1 at once (one segment of headroom), then one segment every 1/(0.99·mps) s', () => {
    const { at } = reserve(newBucket(T0), pace, ones(12), T0)
    expect(at.slice(0, 9)).toEqual(Array(9).fill(T0))
    const step = 1000 / (pace.mps * RATE_MARGIN)
    expect(at[9]).toBeCloseTo(T0 + step, 2)
    expect(at[11]).toBeCloseTo(T0 + 3 * step, 2)
  })

  it('counts segments: a 3-segment message waits for the tokens it lacks', () => {
    const p = { mps: 3, burst: 5 }
    const first = reserve(newBucket(T0), p, [{ segments: 2 }], T0)
    const second = reserve(first.state, p, [{ segments: 3 }], T0)
    // A bucket of 4 (5 less the headroom) keeps 2 after the first message: one more token at 2.97/s.
    expect(second.at[0]).toBeCloseTo(T0 + 1000 / (3 * RATE_MARGIN), 2)
  })

  it('a message larger than the bucket waits until it is full, then overdraws it', () => {
    const p = { mps: 3, burst: 3 }
    const first = reserve(newBucket(T0), p, [{ segments: 2 }], T0)
    const second = reserve(first.state, p, [{ segments: 6 }], T0)
    expect(second.at[0]).toBeCloseTo(T0 + (2 * 1000) / (3 * RATE_MARGIN), 2)
  })

  it('refills while idle, never above the burst', () => {
    const a = reserve(newBucket(T0), pace, ones(9), T0)
    const b = reserve(a.state, pace, ones(10), T0 + 60_000)
    expect(b.at.slice(0, 9)).toEqual(Array(9).fill(T0 + 60_000))
    expect(b.at[9]).toBeGreaterThan(T0 + 60_000)
  })

  it('a slow-down halves the pace, pauses, starts a new epoch; signals within one step count once', () => {
    const s1 = slowDown(newBucket(T0), T0, '1039')
    expect(s1).toMatchObject({ factor: 0.5, epoch: 1, lastSlowDown: { at: T0, reason: '1039' } })
    const s2 = slowDown(s1, T0 + 1_000, '1039')
    expect(s2).toMatchObject({ factor: 0.5, epoch: 1, slowDowns: 2 })
    const s3 = slowDown(s2, T0 + STEP_MS, '20429')
    // One step up (0.6) since the first signal, then halved.
    expect(s3.factor).toBeCloseTo(0.3, 9)
    expect(s3.epoch).toBe(2)
    const { at } = reserve(s3, pace, ones(1), T0 + STEP_MS)
    expect(at[0]).toBeGreaterThanOrEqual(T0 + STEP_MS + PAUSE_MS)
  })

  it('rises again step by step: +10 % of the configured rate every 10 s without a signal', () => {
    const s = slowDown(newBucket(T0), T0, '1039')
    expect(recovered(s, T0 + STEP_MS - 1).factor).toBe(0.5)
    expect(recovered(s, T0 + STEP_MS).factor).toBeCloseTo(0.6, 9)
    expect(recovered(s, T0 + 5 * STEP_MS).factor).toBe(1)
  })

  it('honours a reservation of the current epoch and makes one of an older epoch again', () => {
    const r = reserve(newBucket(T0), pace, ones(1), T0)
    const slot = { at: T0 + 5_000, epoch: r.state.epoch }
    expect(reserve(r.state, pace, [{ segments: 1, slot }], T0 + 1).at[0]).toBe(T0 + 5_000)
    const slowed = slowDown(r.state, T0 + 1, '1039')
    expect(reserve(slowed, pace, [{ segments: 1, slot }], T0 + 2).at[0]).not.toBe(T0 + 5_000)
  })

  it('property: in any window of w ms the reserved segments stay within burst + rate·w', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(
          fc.record({ segments: fc.integer({ min: 1, max: 4 }), gap: fc.integer({ min: 0, max: 400 }) }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        (mps, wants) => {
          const p = { mps, burst: mps }
          let state = newBucket(T0)
          let now = T0
          const sends: { at: number; n: number }[] = []
          for (const w of wants) {
            now += w.gap
            const r = reserve(state, p, [{ segments: w.segments }], now)
            state = r.state
            sends.push({ at: r.at[0] as number, n: w.segments })
          }
          sends.sort((a, b) => a.at - b.at)
          for (let i = 0; i < sends.length; i++) {
            let total = 0
            for (let j = i; j < sends.length; j++) {
              total += (sends[j] as { n: number }).n
              const w = (sends[j] as { at: number }).at - (sends[i] as { at: number }).at
              // A message larger than the bucket may overdraw it once: allow its own size on top.
              expect(total).toBeLessThanOrEqual(p.burst + (p.mps * w) / 1000 + 4 + 1e-6)
            }
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})
