import { beforeEach, describe, expect, it } from 'vitest'
import { pacerName } from '../../src/pacing/pace'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { outboundEvent } from '../support/fixtures'
import { createHarness, type Harness } from '../support/harness'
import { wipeTables } from '../support/rows'
import { json, type TestTenant, testTenant } from '../support/worker'

/** The SCG fixture's sender (`FROM:channel:…` of `outbound-sms-oneline`). */
const FIXTURE_SENDER = 'channel:Zx8QpLm2RkWc4sTn7YbVhA'

/** A sender of its own, so its pacer's state is this test's alone. */
const ownSender = () => `channel:Ops${crypto.randomUUID().replaceAll('-', '').slice(0, 18)}`
const fromSender = (t: TestTenant, sender: string) =>
  outboundEvent('outbound-sms-oneline', {
    patch: (e) => {
      e.externalTenantId = t.id
      e.impression.creativeContent = e.impression.creativeContent.replace(FIXTURE_SENDER, sender)
    },
  })

const queuedTenant = (id: string, senders: Record<string, unknown>) =>
  testTenant(id, { send_mode: 'queued', senders })

async function queue(h: Harness, t: TestTenant, sender: string, n: number) {
  for (let i = 0; i < n; i++) expect((await h.post.scg(t, fromSender(t, sender))).status).toBe(202)
}

const list = async (h: Harness, t: TestTenant) => {
  const res = await h.post.admin(t, '/senders')
  expect(res.status).toBe(200)
  return json(res)
}

beforeEach(() => wipeTables())

describe('GET /v1/tenants/:tenant/senders', () => {
  it('lists each queued sender with its count and pace, and configured senders with nothing queued', async () => {
    const busy = ownSender()
    const other = ownSender()
    const idle = ownSender()
    const t = queuedTenant(FIXTURE_TENANT, { [busy]: { mps: 20, burst: 40 }, [idle]: { mps: 5 } })
    const h = createHarness([t], { via: 'app' })
    const start = h.clock.now()
    await queue(h, t, busy, 3)
    await queue(h, t, other, 1)

    const body = await list(h, t)

    expect(body.status).toBe('OK')
    expect(body.pacer_unavailable).toBe(false)
    const bySender = Object.fromEntries(body.items.map((i: any) => [i.sender, i]))
    expect(Object.keys(bySender).sort()).toEqual([busy, idle, other].sort())
    expect(bySender[busy]).toEqual({
      provider: 'scg',
      sender: busy,
      queued: 3,
      oldest_queued_at: new Date(start).toISOString(),
      configured_mps: 20,
      burst: 40,
      current_mps: 19.8,
      factor: 1,
      last_slow_down: null,
      slow_downs: 0,
      scheduled_until: null,
    })
    // Not in `senders`: the provider's default pace (10 segments per second for SCG).
    expect(bySender[other]).toMatchObject({ queued: 1, configured_mps: 10, burst: 10, current_mps: 9.9 })
    expect(bySender[idle]).toMatchObject({
      provider: 'scg',
      queued: 0,
      oldest_queued_at: null,
      configured_mps: 5,
      burst: 5,
    })
  })

  it("shows a slow-down: the pacer's factor, the lower current rate and the reason with its time", async () => {
    const sender = ownSender()
    const t = queuedTenant(FIXTURE_TENANT, { [sender]: { mps: 10 } })
    const h = createHarness([t], { via: 'app' })
    await queue(h, t, sender, 2)
    const pacers = h.deps.pacers
    if (!pacers) throw new Error('no pacer binding')
    const at = h.clock.now()
    await pacers.get(pacers.idFromName(pacerName(t.id, 'scg', sender))).slowDown('1039', at)

    const [item] = (await list(h, t)).items

    expect(item).toMatchObject({
      sender,
      queued: 2,
      configured_mps: 10,
      current_mps: 4.95,
      factor: 0.5,
      last_slow_down: { at: new Date(at).toISOString(), reason: '1039' },
      slow_downs: 1,
    })
  })

  it('still lists the senders with null pacer fields when the pacers are unavailable', async () => {
    const sender = ownSender()
    const t = queuedTenant(FIXTURE_TENANT, { [sender]: { mps: 10 } })
    const h = createHarness([t], { via: 'app', runtime: { pacers: undefined } })
    await queue(h, t, sender, 2)

    const body = await list(h, t)

    expect(body.pacer_unavailable).toBe(true)
    expect(body.items).toEqual([
      expect.objectContaining({
        sender,
        queued: 2,
        configured_mps: 10,
        current_mps: null,
        factor: null,
        last_slow_down: null,
        slow_downs: null,
        scheduled_until: null,
      }),
    ])
  })

  it('answers an empty list when nothing is queued or configured', async () => {
    const t = queuedTenant(FIXTURE_TENANT, {})
    const h = createHarness([t], { via: 'app' })
    expect(await list(h, t)).toEqual({ status: 'OK', items: [], pacer_unavailable: false })
  })

  it("answers 401 without the admin key, with a CI360 key or another tenant's admin key, and keeps tenants apart", async () => {
    const mine = ownSender()
    const theirs = ownSender()
    const t = queuedTenant(FIXTURE_TENANT, {})
    const other = queuedTenant(OTHER_TENANT, {})
    const h = createHarness([t, other], { via: 'app' })
    await queue(h, t, mine, 1)
    await queue(h, other, theirs, 2)

    for (const headers of [
      {} as Record<string, string>,
      { 'x-api-key': 'wrong' },
      { 'x-api-key': t.apiKey },
      { 'x-api-key': other.adminKey },
    ]) {
      const res = await h.request(`/v1/tenants/${t.id}/senders`, { headers })
      expect(res.status).toBe(401)
      expect((await json(res)).error.code).toBe('UNAUTHORIZED')
    }
    expect((await list(h, t)).items.map((i: any) => [i.sender, i.queued])).toEqual([[mine, 1]])
    expect((await list(h, other)).items.map((i: any) => [i.sender, i.queued])).toEqual([[theirs, 2]])
  })
})
