import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { breakerName } from '../../src/breaker/state'
import type { ProviderBreaker } from '../../src/index'

const ns = (env as unknown as { BREAKER: DurableObjectNamespace<ProviderBreaker> }).BREAKER
const cfg = { openAfter: 5, probeSeconds: 60 }
const T0 = 1_800_000_000_000

/** A stub obtained on its own, as another isolate would. */
const stub = (name: string) => ns.get(ns.idFromName(name))

describe('the provider breaker object', () => {
  it('is one breaker for every stub of a name', async () => {
    const name = breakerName('breaker-shared', 'scg')
    const a = stub(name)
    const b = stub(name)
    expect((await b.allow(cfg, T0)).allowed).toBe(true)
    const views = []
    for (let i = 0; i < 5; i++) views.push(await a.record('fault', cfg, T0 + i))
    expect(views.map((v) => v.changed)).toEqual([false, false, false, false, true])
    expect(await b.allow(cfg, T0 + 10)).toMatchObject({
      allowed: false,
      state: 'open',
      reason: '5 faults in a row',
    })
  })

  it('grants one probe across stubs', async () => {
    const name = breakerName('breaker-probe', 'twilio')
    const a = stub(name)
    const b = stub(name)
    await a.trip('slow delivery', T0)
    const [pa, pb] = await Promise.all([a.allow(cfg, T0 + 60_000), b.allow(cfg, T0 + 60_000)])
    expect([pa.probe, pb.probe].filter(Boolean)).toHaveLength(1)
    expect((await b.record('success', cfg, T0 + 60_001)).state).toBe('closed')
  })

  it('keeps its state for a fresh stub', async () => {
    const name = breakerName('breaker-kept', 'scg')
    await stub(name).force('open', 'ops@example', T0)
    const status = await stub(name).status(T0 + 1)
    expect(status).toMatchObject({ state: 'open', forced: 'open', transitions: 1 })
    expect(status.history).toEqual([
      { at: T0, from: 'closed', to: 'open', reason: 'forced open by ops@example' },
    ])
    expect((await stub(name).allow(cfg, T0 + 3_600_000)).allowed).toBe(false)
  })

  it('keeps different names apart', async () => {
    const a = breakerName('breaker-apart', 'scg')
    for (let i = 0; i < 5; i++) await stub(a).record('fault', cfg, T0)
    expect((await stub(a).allow(cfg, T0)).allowed).toBe(false)
    expect((await stub(breakerName('breaker-apart', 'twilio')).allow(cfg, T0)).allowed).toBe(true)
    expect((await stub(breakerName('breaker-other', 'scg')).allow(cfg, T0)).allowed).toBe(true)
  })
})
